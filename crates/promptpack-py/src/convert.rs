//! Python values to JSON values and back. Variables cross as data: a Python
//! value becomes exactly the JSON value that `--vars` would give the CLI, so
//! both render the same bytes.

use std::fmt::Write as _;

use promptpack_batch::Rows;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::pystr::utf8_of;

/// Nesting deeper than this is refused: a list that contains itself would
/// otherwise recurse until the stack overflows.
const MAX_DEPTH: usize = 128;

/// A value that has no JSON form, and where it sits (`notes[2].date`).
#[derive(Debug)]
pub(crate) struct Unconvertible {
    /// Segments from the innermost outwards, joined on the way up.
    path: Vec<String>,
    reason: String,
}

impl Unconvertible {
    fn new(reason: impl Into<String>) -> Self {
        Self { path: Vec::new(), reason: reason.into() }
    }

    fn within(mut self, segment: String) -> Self {
        self.path.push(segment);
        self
    }

    /// `variable `notes[2].date` is a datetime, which ...`.
    pub(crate) fn message(&self) -> String {
        let mut path = String::new();
        for segment in self.path.iter().rev() {
            if !segment.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(segment);
        }
        if path.is_empty() { self.reason.clone() } else { format!("variable `{path}` {}", self.reason) }
    }

    pub(crate) const HINT: &'static str = "variables are str, int, float, bool, None, and dicts and lists of them (what JSON holds); convert other values first, e.g. str(value) or value.isoformat()";

    pub(crate) fn into_pyerr(self) -> PyErr {
        crate::errors::ErrorInfo::new("VariableError", self.message()).with_hint(Self::HINT).into_pyerr()
    }
}

/// The variables in `dict` (names must be strings), added to `into`.
pub(crate) fn vars_from_dict(dict: &Bound<'_, PyDict>, into: &mut Map<String, Value>) -> Result<(), Unconvertible> {
    for (key, value) in dict.iter() {
        let name = key_string(&key)?;
        let value = to_json(&value, 0).map_err(|err| err.within(name.clone()))?;
        into.insert(name, value);
    }
    Ok(())
}

/// Adds a batch row to `rows`: a dict's entries as they are (text borrowed
/// from the `str`s, copied once into the chunk's buffer: no allocation per
/// value, and no map built on the thread holding the GIL); anything else as
/// its JSON value (which the batch refuses unless it is an object).
pub(crate) fn push_row(rows: &mut Rows, value: &Bound<'_, PyAny>) -> Result<(), Unconvertible> {
    let Ok(dict) = value.cast::<PyDict>() else {
        rows.push_value(to_json(value, 0)?);
        return Ok(());
    };
    // Dropped without `finish` on an error, which takes the row back out.
    let mut row = rows.row();
    for (key, item) in dict.iter() {
        let name = key_str(&key)?;
        match item.cast::<PyString>() {
            Ok(text) => {
                let text = utf8_of(text).map_err(|err| Unconvertible::new(err.to_string()).within(name.to_owned()))?;
                row.text(name, text);
            }
            Err(_) => row.value(name, to_json(&item, 1).map_err(|err| err.within(name.to_owned()))?),
        }
    }
    row.finish();
    Ok(())
}

fn key_str<'a>(key: &'a Bound<'_, PyAny>) -> Result<&'a str, Unconvertible> {
    match key.cast::<PyString>() {
        Ok(key) => utf8_of(key).map_err(|err| Unconvertible::new(err.to_string())),
        Err(_) => Err(Unconvertible::new(format!("has a key of type {}; keys must be str", type_name(key)))),
    }
}

fn key_string(key: &Bound<'_, PyAny>) -> Result<String, Unconvertible> {
    key_str(key).map(str::to_owned)
}

/// The JSON value of a Python value: str, int, float, bool, None, dicts
/// (any mapping) and lists or tuples; numpy scalars and arrays through
/// `tolist()`, other integers through `__index__`.
pub(crate) fn to_json(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Unconvertible> {
    if depth > MAX_DEPTH {
        return Err(Unconvertible::new(format!(
            "is nested deeper than {MAX_DEPTH} levels (does a list or dict contain itself?)"
        )));
    }
    // The common types first, by exact type: this runs once per value per row.
    if let Ok(text) = value.cast::<PyString>() {
        return utf8_of(text)
            .map(|text| Value::String(text.to_owned()))
            .map_err(|err| Unconvertible::new(err.to_string()));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.cast::<PyInt>().is_ok() {
        return integer(value);
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return float_number(float.value());
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let name = key_string(&key)?;
            let item = to_json(&item, depth + 1).map_err(|err| err.within(name.clone()))?;
            map.insert(name, item);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return sequence(list.iter(), depth);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return sequence(tuple.iter(), depth);
    }
    unusual(value, depth)
}

fn sequence<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>, depth: usize) -> Result<Value, Unconvertible> {
    items
        .enumerate()
        .map(|(index, item)| to_json(&item, depth + 1).map_err(|err| err.within(format!("[{index}]"))))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn integer(value: &Bound<'_, PyAny>) -> Result<Value, Unconvertible> {
    if let Ok(number) = value.extract::<i64>() {
        return Ok(Value::Number(number.into()));
    }
    if let Ok(number) = value.extract::<u64>() {
        return Ok(Value::Number(number.into()));
    }
    Err(Unconvertible::new("is an integer beyond 64 bits, which JSON numbers cannot hold exactly"))
}

fn float_number(number: f64) -> Result<Value, Unconvertible> {
    Number::from_f64(number)
        .map(Value::Number)
        .ok_or_else(|| Unconvertible::new(format!("is {number}, which JSON cannot hold")))
}

/// Mappings that are not dicts, numpy values, and objects with `__index__`.
fn unusual(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Unconvertible> {
    let error = |err: PyErr| Unconvertible::new(err.to_string());
    if let Ok(mapping) = value.cast::<PyMapping>() {
        let dict = PyDict::new(value.py());
        for item in mapping.items().map_err(error)?.iter() {
            let (key, item): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract().map_err(error)?;
            dict.set_item(key, item).map_err(error)?;
        }
        return to_json(dict.as_any(), depth);
    }
    // numpy scalars and arrays (pandas hands them out) know their Python value.
    if value.hasattr("tolist").unwrap_or(false) {
        let plain = value.call_method0("tolist").map_err(error)?;
        if !plain.is(value) {
            return to_json(&plain, depth + 1);
        }
    }
    if value.hasattr("__index__").unwrap_or(false) {
        return integer(&value.call_method0("__index__").map_err(error)?);
    }
    let mut reason = format!("is of type `{}`, which has no JSON form", type_name(value));
    if value.hasattr("isoformat").unwrap_or(false) {
        let _ = write!(reason, " (pass value.isoformat())");
    }
    Err(Unconvertible::new(reason))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map_or_else(|_| "value".to_owned(), |name| name.to_string())
}

/// A JSON value as the Python value it stands for.
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                int.into_pyobject(py)?.into_any()
            } else if let Some(int) = number.as_u64() {
                int.into_pyobject(py)?.into_any()
            } else {
                number.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => vars_to_python(py, map)?.into_any(),
    })
}

pub(crate) fn vars_to_python<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, item) in map {
        dict.set_item(key, to_python(py, item)?)?;
    }
    Ok(dict)
}

/// Raised for a `vars` argument that is not a mapping.
pub(crate) fn not_a_mapping(value: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("vars must be a dict of variables, not {}", type_name(value)))
}
