//! Reads a JSON answer straight into the compact JSON text a result is sized to: without
//! `_links`, without members whose value is null, without members whose value is an object
//! left empty, at any depth (arrays keep every item). It is the text of the server's
//! `field_selection::compact` applied to the value read, without the value: a get_user over
//! HTTP spent a sixth of its instructions building a tree of the user (an allocation and, in
//! an object, a hashed insert per node) only to write it out again.
//!
//! The text is exactly `serde_json::to_vec` of that value (the server's tests compare the two
//! on generated documents), with one exception it refuses rather than mimics: an object with
//! a key twice, which a value holds once (at the first key's place, with the last value).
//! Then [`to_vec`] answers None and the caller reads the answer the other way.

use crate::without_links::LINKS;
use serde::Serializer as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The compact text of `bytes`, a JSON document; `Ok(None)` when an object in it has a
/// duplicate key.
pub fn to_vec(bytes: &[u8]) -> serde_json::Result<Option<Vec<u8>>> {
    // Compacting only removes, and a user's links are a third of it.
    let mut out = Vec::with_capacity(bytes.len());
    Ok(append(bytes, &mut out)?.then_some(out))
}

/// Writes the compact text of `bytes` at the end of `out`: false (`out` as it was) when an
/// object in it has a duplicate key; an error (`out` as it was) when it is not JSON.
pub fn append(bytes: &[u8], out: &mut Vec<u8>) -> serde_json::Result<bool> {
    let start = out.len();
    // Checked as UTF-8 once, the text's strings are not checked one by one as they are read
    // (a tenth of the reading); bytes that are not UTF-8 are read as bytes, for the error.
    let written = match std::str::from_utf8(bytes) {
        Ok(text) => compact(serde_json::Deserializer::from_str(text), out),
        Err(_) => compact(serde_json::Deserializer::from_slice(bytes), out),
    };
    match written {
        Ok(Written::Kept | Written::Droppable) => Ok(true),
        Ok(Written::DuplicateKey) => {
            out.truncate(start);
            Ok(false)
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

/// Reads one document from `reader` into `out`, compacted.
fn compact<'de, R: serde_json::de::Read<'de>>(
    mut reader: serde_json::Deserializer<R>,
    out: &mut Vec<u8>,
) -> serde_json::Result<Written> {
    let written = Compact { out }.deserialize(&mut reader)?;
    reader.end()?;
    Ok(written)
}

/// What a value came out as, for the object holding it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// `null` or `{}` (after compacting): dropped from an object, kept in an array.
    Droppable,
    Kept,
    /// An object in it has a key twice: the whole text is given up.
    DuplicateKey,
}

struct Compact<'a> {
    out: &'a mut Vec<u8>,
}

impl Compact<'_> {
    fn writer(&mut self) -> serde_json::Serializer<&mut Vec<u8>> {
        serde_json::Serializer::new(&mut *self.out)
    }
}

impl<'de> DeserializeSeed<'de> for Compact<'_> {
    type Value = Written;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Written, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Serialising a scalar into a Vec cannot fail; the error type says it could.
fn kept<E: serde::de::Error>(_: serde_json::Result<()>) -> Result<Written, E> {
    Ok(Written::Kept)
}

impl<'de> Visitor<'de> for Compact<'_> {
    type Value = Written;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(mut self, v: bool) -> Result<Written, E> {
        kept(self.writer().serialize_bool(v))
    }

    fn visit_i64<E: serde::de::Error>(mut self, v: i64) -> Result<Written, E> {
        kept(self.writer().serialize_i64(v))
    }

    fn visit_u64<E: serde::de::Error>(mut self, v: u64) -> Result<Written, E> {
        kept(self.writer().serialize_u64(v))
    }

    fn visit_f64<E: serde::de::Error>(mut self, v: f64) -> Result<Written, E> {
        // As a value holds it: JSON has no NaN or infinity, so this is never null.
        if v.is_finite() {
            kept(self.writer().serialize_f64(v))
        } else {
            self.visit_unit()
        }
    }

    fn visit_str<E: serde::de::Error>(mut self, v: &str) -> Result<Written, E> {
        kept(self.writer().serialize_str(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Written, E> {
        self.out.extend_from_slice(b"null");
        Ok(Written::Droppable)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Written, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Written, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Written, A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            match seq.next_element_seed(Compact {
                out: &mut *self.out,
            })? {
                None => {
                    // The separator written for an item that did not come.
                    self.out.truncate(mark);
                    break;
                }
                Some(Written::DuplicateKey) => {
                    // The rest is read (a reader stopped part way fails), not written.
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Written::DuplicateKey);
                }
                Some(_) => first = false,
            }
        }
        self.out.push(b']');
        Ok(Written::Kept)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Written, A::Error> {
        self.out.push(b'{');
        // Every key seen, kept or not: a value would hold a repeated key once.
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        let mut kept_any = false;
        while let Some(key) = map.next_key_seed(Key)? {
            if keys.contains(&key) {
                map.next_value::<IgnoredAny>()?;
                return skip_rest(map);
            }
            if key == LINKS {
                map.next_value::<IgnoredAny>()?;
                keys.push(key);
                continue;
            }
            let mark = self.out.len();
            if kept_any {
                self.out.push(b',');
            }
            // A string cannot fail to serialise.
            let _ = serde_json::Serializer::new(&mut *self.out).serialize_str(&key);
            self.out.push(b':');
            keys.push(key);
            match map.next_value_seed(Compact {
                out: &mut *self.out,
            })? {
                Written::Droppable => self.out.truncate(mark),
                Written::DuplicateKey => return skip_rest(map),
                Written::Kept => kept_any = true,
            }
        }
        self.out.push(b'}');
        Ok(if kept_any {
            Written::Kept
        } else {
            Written::Droppable
        })
    }
}

/// Reads the rest of an object without writing it (a reader stopped part way fails), for a
/// text given up.
fn skip_rest<'de, A: MapAccess<'de>>(mut map: A) -> Result<Written, A::Error> {
    while map.next_key::<IgnoredAny>()?.is_some() {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(Written::DuplicateKey)
}

/// An object's key, borrowed from the document when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}
