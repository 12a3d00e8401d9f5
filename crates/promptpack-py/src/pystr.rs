//! Renderings straight into Python `str` objects, without decoding UTF-8.
//!
//! A Python `str` stores one, two or four bytes per character: the narrowest
//! that holds its largest character (PEP 393). Making one from UTF-8
//! (`PyUnicode_FromStringAndSize`) decodes every byte, and widens what it
//! decoded so far when a wider character turns up. For a prompt of a few KB
//! with a typographic dash in it, that cost several times the rendering
//! (about 2-3 µs for the seed pack's 4.8 KB, against 0.4 µs to render it).
//!
//! So a rendering is gathered as pieces ([`Gathered`], a [`RenderSink`]),
//! counting characters and the width as it goes. Template text is the bulk
//! of a prompt and the same on every render: [`TemplateTexts`] measures each
//! piece once and keeps it encoded in each width it is asked for, so it is
//! copied, not decoded; only values are converted per render. The `str` is
//! then allocated at its final length and width (`PyUnicode_New`) and
//! filled in place, in one pass.
//!
//! `PyUnicode_New` and the place a compact `str` keeps its characters are
//! `CPython`'s public C API but not its limited API (abi3), and the layout
//! moved once (3.12 dropped two fields). So the layout is taken from the
//! running version and then checked on first use: strings made through the
//! limited API must read back, character for character, at the offsets we
//! would write to. Any other interpreter or layout (`PyPy`, a debug build)
//! gets `str`s decoded from UTF-8: the same text, more slowly.
//!
//! The output is the same `str` either way: exact length, canonical width
//! (so `==` with any other `str` behaves), and never shared before it is
//! filled. The pytest suite compares it with the CLI's bytes on every pack
//! fixture and differential case, which cover all four widths.

// The one module with unsafe code: writing a new `str`'s characters (see above).
#![allow(unsafe_code)]

use std::sync::OnceLock;

use promptpack_render::RenderSink;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

/// The narrowest storage a `str` needs for its largest character: PEP 393's
/// kinds, with ASCII (which `CPython` lays out apart) split from Latin-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Width {
    #[default]
    Ascii,
    Latin1,
    Ucs2,
    Ucs4,
}

impl Width {
    /// The characters in `text` and the width they need. Both are found from
    /// bytes alone (which the compiler vectorises): characters are the bytes
    /// that do not continue one, and the largest lead byte gives the width.
    pub(crate) fn measure(text: &str) -> (usize, Width) {
        let bytes = text.as_bytes();
        let widest = bytes.iter().copied().fold(0, u8::max);
        let width = match widest {
            0..=0x7F => return (bytes.len(), Width::Ascii),
            // U+0080..U+00FF are C2 xx and C3 xx; continuation bytes are below.
            0x80..=0xC3 => Width::Latin1,
            0xC4..=0xEF => Width::Ucs2,
            _ => Width::Ucs4,
        };
        let chars = bytes.iter().filter(|&&byte| byte.cast_signed() >= -0x40).count();
        (chars, width)
    }

    /// A character of this width, for `PyUnicode_New`.
    fn max_char(self) -> ffi::Py_UCS4 {
        match self {
            Width::Ascii => 0x7F,
            Width::Latin1 => 0xFF,
            Width::Ucs2 => 0xFFFF,
            Width::Ucs4 => 0x0010_FFFF,
        }
    }
}

/// Whether this interpreter gets `str`s built in place (its layout passed
/// the check) rather than decoded from UTF-8.
pub(crate) fn builds_in_place(py: Python<'_>) -> bool {
    StrLayout::get(py).is_some()
}

/// One character slot of a `str`'s storage: `u8`, `u16` or `u32`.
trait Unit: Copy + Send + Sync + 'static {
    /// `c`, which fits this width.
    fn of_char(c: char) -> Self;
    fn of_ascii(byte: u8) -> Self;
    /// `text` in this width, encoded once.
    fn encoded(text: &TemplateText) -> &[Self];
}

impl Unit for u8 {
    fn of_char(c: char) -> Self {
        c as u32 as u8
    }
    fn of_ascii(byte: u8) -> Self {
        byte
    }
    fn encoded(text: &TemplateText) -> &[Self] {
        if text.width == Width::Ascii {
            return text.text.as_bytes();
        }
        text.latin1.get_or_init(|| encode_all(&text.text, text.chars))
    }
}

impl Unit for u16 {
    fn of_char(c: char) -> Self {
        c as u32 as u16
    }
    fn of_ascii(byte: u8) -> Self {
        u16::from(byte)
    }
    fn encoded(text: &TemplateText) -> &[Self] {
        text.ucs2.get_or_init(|| encode_all(&text.text, text.chars))
    }
}

impl Unit for u32 {
    fn of_char(c: char) -> Self {
        c as u32
    }
    fn of_ascii(byte: u8) -> Self {
        u32::from(byte)
    }
    fn encoded(text: &TemplateText) -> &[Self] {
        text.ucs4.get_or_init(|| encode_all(&text.text, text.chars))
    }
}

/// `text` (of `chars` characters, all fitting `U`) in `U`s.
fn encode_all<U: Unit>(text: &str, chars: usize) -> Box<[U]> {
    let mut units = vec![U::of_ascii(0); chars];
    let written = encode_into(text, text.is_ascii(), &mut units);
    debug_assert_eq!(written, chars);
    units.into_boxed_slice()
}

/// Writes `text` into the start of `out`; returns how many units it took.
fn encode_into<U: Unit>(text: &str, ascii: bool, out: &mut [U]) -> usize {
    if ascii {
        let out = &mut out[..text.len()];
        for (slot, byte) in out.iter_mut().zip(text.bytes()) {
            *slot = U::of_ascii(byte);
        }
        text.len()
    } else {
        let mut written = 0;
        for (slot, c) in out.iter_mut().zip(text.chars()) {
            *slot = U::of_char(c);
            written += 1;
        }
        written
    }
}

/// A piece of a template's own text, measured once and encoded on demand.
pub(crate) struct TemplateText {
    text: Box<str>,
    chars: usize,
    width: Width,
    latin1: OnceLock<Box<[u8]>>,
    ucs2: OnceLock<Box<[u16]>>,
    ucs4: OnceLock<Box<[u32]>>,
}

/// The template text of one renderer, by the id [`RenderSink`] gives each
/// piece: filled as pieces are first rendered, then shared by every render
/// and every thread. Outputs are never kept, only the templates' own text.
pub(crate) struct TemplateTexts(Box<[OnceLock<TemplateText>]>);

impl TemplateTexts {
    /// Room for a renderer's ids ([`promptpack_render::Renderer::template_text_ids`]).
    pub(crate) fn new(ids: usize) -> Self {
        Self((0..ids).map(|_| OnceLock::new()).collect())
    }

    fn get(&self, id: usize, text: &str) -> Option<&TemplateText> {
        let slot = self.0.get(id)?;
        Some(slot.get_or_init(|| {
            let (chars, width) = Width::measure(text);
            TemplateText {
                text: text.into(),
                chars,
                width,
                latin1: OnceLock::new(),
                ucs2: OnceLock::new(),
                ucs4: OnceLock::new(),
            }
        }))
    }
}

#[derive(Debug, Clone, Copy)]
enum Piece {
    /// Template text, by its id in the renderer's [`TemplateTexts`].
    Template(usize),
    /// A value: `Gathered::values` from the previous value's end to `end`.
    Value { end: usize, ascii: bool },
}

/// A rendering gathered piece by piece (through [`Gathered::sink`]), with
/// its length in characters and its width, ready to become a `str` in one
/// allocation. It holds no template text, only ids, so it is cheap to make
/// on a render thread and hand to the thread holding the GIL; it keeps its
/// buffers when cleared, for the next rendering.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    pieces: Vec<Piece>,
    /// The values, one after the other.
    values: String,
    chars: usize,
    width: Width,
}

impl Gathered {
    /// Room for a prompt's pieces and values without growing.
    pub(crate) fn new() -> Self {
        Self { pieces: Vec::with_capacity(32), values: String::with_capacity(256), ..Self::default() }
    }

    /// A sink that gathers a rendering of the renderer `texts` belongs to.
    pub(crate) fn sink<'a>(&'a mut self, texts: &'a TemplateTexts) -> Gathering<'a> {
        Gathering { texts, gathered: self }
    }

    /// Empties it for the next rendering, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.pieces.clear();
        self.values.clear();
        self.chars = 0;
        self.width = Width::Ascii;
    }

    /// The template texts of the pieces, in order (`None` for values).
    fn pieces<'t>(&self, texts: &'t TemplateTexts) -> impl Iterator<Item = (Option<&'t TemplateText>, Piece)> {
        self.pieces.iter().map(move |piece| match piece {
            Piece::Template(id) => (texts.0.get(*id).and_then(OnceLock::get), *piece),
            Piece::Value { .. } => (None, *piece),
        })
    }

    /// Writes the rendering into `out`: exactly `self.chars` units of the
    /// rendering's width or wider.
    fn write_units<U: Unit>(&self, texts: &TemplateTexts, out: &mut [U]) {
        let (mut at, mut value_start) = (0, 0);
        for (template, piece) in self.pieces(texts) {
            match (template, piece) {
                (Some(text), _) => {
                    let units = U::encoded(text);
                    out[at..at + units.len()].copy_from_slice(units);
                    at += units.len();
                }
                (None, Piece::Value { end, ascii }) => {
                    at += encode_into(&self.values[value_start..end], ascii, &mut out[at..]);
                    value_start = end;
                }
                // Only ids `Gathering` stored, each after filling its slot.
                (None, Piece::Template(_)) => unreachable!("a gathered template text is in its table"),
            }
        }
        debug_assert_eq!(at, out.len());
    }

    /// The rendering as UTF-8.
    fn to_utf8(&self, texts: &TemplateTexts) -> String {
        let (mut text, mut value_start) = (String::new(), 0);
        for (template, piece) in self.pieces(texts) {
            match (template, piece) {
                (Some(template), _) => text.push_str(&template.text),
                (None, Piece::Value { end, .. }) => {
                    text.push_str(&self.values[value_start..end]);
                    value_start = end;
                }
                (None, Piece::Template(_)) => unreachable!("a gathered template text is in its table"),
            }
        }
        text
    }

    /// The rendering as a Python `str`; `texts` is the table it was gathered with.
    pub(crate) fn to_str<'py>(&self, py: Python<'py>, texts: &TemplateTexts) -> PyResult<Bound<'py, PyString>> {
        match StrLayout::get(py) {
            Some(layout) => layout.new_str(py, self.chars, self.width, |storage| match storage {
                Storage::One(out) => self.write_units(texts, out),
                Storage::Two(out) => self.write_units(texts, out),
                Storage::Four(out) => self.write_units(texts, out),
            }),
            None => Ok(PyString::new(py, &self.to_utf8(texts))),
        }
    }
}

/// Gathers a rendering into a [`Gathered`], measuring template text once
/// per renderer and values as they come.
pub(crate) struct Gathering<'a> {
    texts: &'a TemplateTexts,
    gathered: &'a mut Gathered,
}

impl RenderSink for Gathering<'_> {
    fn template_text(&mut self, id: usize, text: &str) {
        match self.texts.get(id, text) {
            Some(template) => {
                let gathered = &mut *self.gathered;
                gathered.chars += template.chars;
                gathered.width = gathered.width.max(template.width);
                gathered.pieces.push(Piece::Template(id));
            }
            None => self.text(text),
        }
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let (chars, width) = Width::measure(text);
        let gathered = &mut *self.gathered;
        gathered.chars += chars;
        gathered.width = gathered.width.max(width);
        gathered.values.push_str(text);
        gathered.pieces.push(Piece::Value { end: gathered.values.len(), ascii: width == Width::Ascii });
    }
}

/// A new `str`'s storage, in its width.
enum Storage<'a> {
    One(&'a mut [u8]),
    Two(&'a mut [u16]),
    Four(&'a mut [u32]),
}

/// The text of `text` as UTF-8, without a copy: an ASCII `str` already is
/// UTF-8, and any other keeps its UTF-8 once made. (pyo3's `to_cow` makes a
/// `bytes` object for each call under abi3 for 3.9, which has no such call
/// in its limited API; every `CPython` has the function, and 3.10 added it to
/// the limited API.)
pub(crate) fn utf8_of<'a>(text: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `text` is a live `str`; the buffer returned belongs to it (so
    // it lives as long as the borrow of `text`) and holds `size` bytes of
    // UTF-8, or NULL comes back with an exception set (lone surrogates).
    unsafe {
        let data = PyUnicode_AsUTF8AndSize(text.as_ptr(), &raw mut size);
        if data.is_null() {
            return Err(PyErr::fetch(text.py()));
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size.cast_unsigned());
        Ok(std::str::from_utf8_unchecked(bytes))
    }
}

unsafe extern "C" {
    fn PyUnicode_AsUTF8AndSize(unicode: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const std::ffi::c_char;

    /// `CPython`'s constructor of an uninitialised compact `str` (public C API
    /// since 3.3, outside the limited API, so pyo3's abi3 bindings omit it).
    fn PyUnicode_New(size: ffi::Py_ssize_t, maxchar: ffi::Py_UCS4) -> *mut ffi::PyObject;
}

/// Where a compact `str` keeps its characters, from the start of the object.
#[derive(Debug, Clone, Copy)]
struct StrLayout {
    /// After `PyASCIIObject`: an all-ASCII `str`.
    ascii_data: usize,
    /// After `PyCompactUnicodeObject`: any other.
    compact_data: usize,
}

static STR_LAYOUT: PyOnceLock<Option<StrLayout>> = PyOnceLock::new();

impl StrLayout {
    fn get(py: Python<'_>) -> Option<StrLayout> {
        *STR_LAYOUT.get_or_init(py, || Self::probe(py))
    }

    /// This interpreter's layout if it is `CPython`'s on a 64-bit machine, as
    /// checked against strings the limited API made.
    fn probe(py: Python<'_>) -> Option<StrLayout> {
        let implementation: String =
            py.import("sys").ok()?.getattr("implementation").ok()?.getattr("name").ok()?.extract().ok()?;
        if implementation != "cpython" || size_of::<usize>() != 8 {
            return None;
        }
        // `PyASCIIObject` lost `wstr` and `PyCompactUnicodeObject` `wstr_length` in 3.12.
        let layout = if py.version_info() >= (3, 12) {
            StrLayout { ascii_data: 40, compact_data: 56 }
        } else {
            StrLayout { ascii_data: 48, compact_data: 72 }
        };
        // Long enough that a wrong guess still reads inside the object.
        let samples = [
            "promptpack checks where str keeps its characters: ASCII",
            "promptpack checks where str keeps its characters: Latin-1 \u{e9}\u{ff}",
            "promptpack checks where str keeps its characters: UCS-2 \u{2013}\u{2022}",
            "promptpack checks where str keeps its characters: UCS-4 \u{1f980}",
        ];
        for sample in samples {
            let made = PyString::new(py, sample);
            let (chars, width) = Width::measure(sample);
            let offset = if width == Width::Ascii { layout.ascii_data } else { layout.compact_data };
            // SAFETY: `made` is a live `str` of `chars` characters; every
            // sample is longer than the largest offset guess is off, so all
            // reads stay inside the object.
            let matches = unsafe {
                let data = made.as_ptr().cast::<u8>().add(offset);
                ffi::PyUnicode_GetLength(made.as_ptr()) == chars.cast_signed()
                    && sample.chars().enumerate().all(|(index, c)| {
                        let unit = match width {
                            Width::Ascii | Width::Latin1 => u32::from(*data.add(index)),
                            Width::Ucs2 => u32::from(data.add(2 * index).cast::<u16>().read_unaligned()),
                            Width::Ucs4 => data.add(4 * index).cast::<u32>().read_unaligned(),
                        };
                        unit == c as u32
                    })
            };
            if !matches {
                return None;
            }
        }
        Some(layout)
    }

    /// A new `str` of `chars` characters of `width`, filled by `fill`.
    // Objects are aligned to 8 bytes or more and both offsets are multiples of 8.
    #[allow(clippy::cast_ptr_alignment)]
    fn new_str(
        self,
        py: Python<'_>,
        chars: usize,
        width: Width,
        fill: impl FnOnce(Storage<'_>),
    ) -> PyResult<Bound<'_, PyString>> {
        let size = ffi::Py_ssize_t::try_from(chars)
            .map_err(|_| pyo3::exceptions::PyMemoryError::new_err("rendering too long for a str"))?;
        // SAFETY: `PyUnicode_New` returns a new reference to a compact `str`
        // of `chars` characters of `width` (or NULL with an exception set),
        // its storage at the offset `probe` checked. Nothing else has seen it
        // yet, so writing its characters is allowed; `fill` gets a slice of
        // exactly its storage. Length 0 is the shared empty `str`, not written.
        unsafe {
            let object = PyUnicode_New(size, width.max_char());
            let object = Bound::from_owned_ptr_or_err(py, object)?;
            if chars > 0 {
                let offset = if width == Width::Ascii { self.ascii_data } else { self.compact_data };
                let data = object.as_ptr().cast::<u8>().add(offset);
                fill(match width {
                    Width::Ascii | Width::Latin1 => Storage::One(std::slice::from_raw_parts_mut(data, chars)),
                    Width::Ucs2 => Storage::Two(std::slice::from_raw_parts_mut(data.cast::<u16>(), chars)),
                    Width::Ucs4 => Storage::Four(std::slice::from_raw_parts_mut(data.cast::<u32>(), chars)),
                });
            }
            Ok(object.cast_into_unchecked())
        }
    }
}
