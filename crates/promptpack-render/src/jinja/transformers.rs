//! `environment = "transformers"`: what Hugging Face transformers'
//! `apply_chat_template` renders with (transformers 5.23,
//! `src/transformers/utils/chat_template_utils.py`,
//! `_cached_compile_jinja_template`): an `ImmutableSandboxedEnvironment`
//! with `trim_blocks` and `lstrip_blocks` (set by `JinjaOptions::preset`),
//! the `loopcontrols` extension, its `{% generation %}` tag (see
//! `checks::rewrite_generation_tags`), the globals `raise_exception` and
//! `strftime_now`, and its own `tojson`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};

use super::pyjson::{self, JsonStyle};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("tojson", tojson);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
}

/// The error `raise_exception(message)` raises: the template's own message,
/// which `jinja_error` reports as such.
#[derive(Debug)]
pub(crate) struct RaisedByTemplate(pub(crate) String);

impl fmt::Display for RaisedByTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RaisedByTemplate {}

fn raise_exception(message: &Value) -> Result<Value, Error> {
    let mut text = String::new();
    super::python::python_str(message, &mut text, super::python::NestedUndefined::Print)?;
    Err(Error::new(ErrorKind::InvalidOperation, text.clone()).with_source(RaisedByTemplate(text)))
}

/// transformers' `tojson(x, ensure_ascii=False, indent=None,
/// separators=None, sort_keys=False)`: plain `json.dumps`, no HTML escaping.
fn tojson(value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let argument = |index: usize, name: &str| -> Result<Option<Value>, Error> {
        match args.get(index) {
            Some(value) => Ok(Some(value.clone())),
            None => kwargs.get::<Option<Value>>(name),
        }
    };
    let ensure_ascii = argument(0, "ensure_ascii")?.is_some_and(|v| v.is_true());
    let indent = match argument(1, "indent")? {
        None => None,
        Some(indent) if indent.is_none() => None,
        Some(indent) => Some(if let Some(text) = indent.as_str() {
            text.to_owned()
        } else {
            let width = indent
                .as_i64()
                .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "indent must be an integer or a string"))?;
            crate::text::spaces(u64::try_from(width).unwrap_or(0))
                .map_err(|message| Error::new(ErrorKind::InvalidOperation, message))?
        }),
    };
    let mut style = JsonStyle::new(indent);
    style.ensure_ascii = ensure_ascii;
    if let Some(separators) = argument(2, "separators")?.filter(|s| !s.is_none()) {
        let parts: Vec<Value> = separators.try_iter()?.collect();
        let [item, key] = parts.as_slice() else {
            return Err(Error::new(ErrorKind::InvalidOperation, "separators must be an (item, key) pair"));
        };
        item.as_str().unwrap_or_default().clone_into(&mut style.item_separator);
        key.as_str().unwrap_or_default().clone_into(&mut style.key_separator);
    }
    style.sort_keys = argument(3, "sort_keys")?.is_some_and(|v| v.is_true());
    kwargs.assert_all_used()?;
    pyjson::dumps(value, &style)
}

/// `strftime_now(format)`: `datetime.now().strftime(format)`, in UTC (the
/// reference uses the machine's local time zone; CI machines run in UTC).
fn strftime_now(format: &str) -> Result<String, Error> {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    strftime(format, i64::try_from(seconds).unwrap_or(0))
}

/// C's `strftime` for the conversions chat templates use, on a UTC time.
pub(crate) fn strftime(format: &str, unix_seconds: i64) -> Result<String, Error> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let days = unix_seconds.div_euclid(86_400);
    let seconds_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (seconds_of_day / 3600, seconds_of_day / 60 % 60, seconds_of_day % 60);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let weekday = usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0);
    let day_of_year = days - days_from_civil(year, 1, 1) + 1;
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    let day_name = DAYS[weekday];
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // glibc's `%-d`: no padding.
        let mut spec = chars.next();
        let unpadded = spec == Some('-');
        if unpadded {
            spec = chars.next();
        }
        let number = |value: i64, width: usize| {
            if unpadded { value.to_string() } else { format!("{value:0width$}") }
        };
        let piece = match spec {
            Some('Y') => year.to_string(),
            Some('y') => number(year.rem_euclid(100), 2),
            Some('m') => number(month, 2),
            Some('d') => number(day, 2),
            Some('e') => format!("{day:>2}"),
            Some('H') => number(hour, 2),
            Some('I') => number(hour12, 2),
            Some('M') => number(minute, 2),
            Some('S') => number(second, 2),
            Some('j') => number(day_of_year, 3),
            Some('p') => if hour < 12 { "AM" } else { "PM" }.to_owned(),
            Some('B') => month_name.to_owned(),
            Some('b' | 'h') => month_name[..3].to_owned(),
            Some('A') => day_name.to_owned(),
            Some('a') => day_name[..3].to_owned(),
            Some('F') => format!("{year}-{month:02}-{day:02}"),
            Some('T') => format!("{hour:02}:{minute:02}:{second:02}"),
            Some('%') => "%".to_owned(),
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("strftime_now: unsupported conversion `%{}`", other.map(String::from).unwrap_or_default()),
                ));
            }
        };
        out.push_str(&piece);
    }
    Ok(out)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * mp + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::strftime;

    #[test]
    fn strftime_matches_c_for_chat_template_formats() {
        // 2024-07-26 13:05:09 UTC, a Friday.
        let t = 1_722_000_000 - 1_722_000_000 % 86_400 + 13 * 3600 + 5 * 60 + 9;
        assert_eq!(strftime("%d %b %Y", t).unwrap(), "26 Jul 2024");
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S %A %a %B %j %-d %I%p %%", t).unwrap(),
            "2024-07-26 13:05:09 Friday Fri July 208 26 01PM %"
        );
        assert_eq!(strftime("%F %T", 0).unwrap(), "1970-01-01 00:00:00");
        assert!(strftime("%Q", 0).is_err());
    }
}
