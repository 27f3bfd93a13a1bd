//! A CBOR document as a tree whose every node keeps its byte span, so that the parts the
//! ledger keeps as exact bytes (outputs, governance actions) are taken from the file as written.

use std::ops::Range;

use pallas_codec::minicbor::data::Type;
use pallas_codec::minicbor::Decoder;

/// A decoded item.
#[derive(Debug, Clone)]
pub enum Value {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Tag(u64, Box<Node>),
    Bool(bool),
    Null,
    Float(f64),
}

/// An item and where it stands in the document.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

/// Decodes one item spanning all of `bytes`.
pub fn parse(bytes: &[u8]) -> Result<Node, String> {
    let mut d = Decoder::new(bytes);
    let n = item(&mut d, 0)?;
    if d.position() != bytes.len() {
        return Err(format!("{} bytes after the item", bytes.len() - d.position()));
    }
    Ok(n)
}

const BREAK: u8 = 0xff;

fn item(d: &mut Decoder<'_>, depth: usize) -> Result<Node, String> {
    if depth > 256 {
        return Err("nested too deeply".into());
    }
    let e = |e: pallas_codec::minicbor::decode::Error| e.to_string();
    let start = d.position();
    let at_break = |d: &Decoder<'_>| d.input().get(d.position()) == Some(&BREAK);
    let value = match d.datatype().map_err(e)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 | Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Int => {
            Value::Int(i128::from(d.int().map_err(e)?))
        }
        Type::Bytes | Type::BytesIndef => {
            let mut out = Vec::new();
            for chunk in d.bytes_iter().map_err(e)? {
                out.extend_from_slice(chunk.map_err(e)?);
            }
            Value::Bytes(out)
        }
        Type::String | Type::StringIndef => {
            let mut out = String::new();
            for chunk in d.str_iter().map_err(e)? {
                out.push_str(chunk.map_err(e)?);
            }
            Value::Text(out)
        }
        Type::Array | Type::ArrayIndef => {
            let len = d.array().map_err(e)?;
            let mut items = Vec::new();
            match len {
                Some(n) => {
                    for _ in 0..n {
                        items.push(item(d, depth + 1)?);
                    }
                }
                None => {
                    while !at_break(d) {
                        items.push(item(d, depth + 1)?);
                    }
                    d.set_position(d.position() + 1);
                }
            }
            Value::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let len = d.map().map_err(e)?;
            let mut entries = Vec::new();
            match len {
                Some(n) => {
                    for _ in 0..n {
                        entries.push((item(d, depth + 1)?, item(d, depth + 1)?));
                    }
                }
                None => {
                    while !at_break(d) {
                        entries.push((item(d, depth + 1)?, item(d, depth + 1)?));
                    }
                    d.set_position(d.position() + 1);
                }
            }
            Value::Map(entries)
        }
        Type::Tag => {
            let t = u64::from(d.tag().map_err(e)?);
            Value::Tag(t, Box::new(item(d, depth + 1)?))
        }
        Type::Bool => Value::Bool(d.bool().map_err(e)?),
        Type::Null => {
            d.null().map_err(e)?;
            Value::Null
        }
        Type::F16 => Value::Float(f64::from(d.f16().map_err(e)?)),
        Type::F32 => Value::Float(f64::from(d.f32().map_err(e)?)),
        Type::F64 => Value::Float(d.f64().map_err(e)?),
        other => return Err(format!("unexpected {other} at byte {start}")),
    };
    Ok(Node {
        value,
        span: start..d.position(),
    })
}

impl Node {
    fn kind(&self) -> &'static str {
        match self.value {
            Value::Int(_) => "an integer",
            Value::Bytes(_) => "bytes",
            Value::Text(_) => "text",
            Value::Array(_) => "an array",
            Value::Map(_) => "a map",
            Value::Tag(..) => "a tag",
            Value::Bool(_) => "a bool",
            Value::Null => "null",
            Value::Float(_) => "a float",
        }
    }

    fn wrong<T>(&self, want: &str) -> Result<T, String> {
        Err(format!(
            "expected {want}, found {} at byte {}",
            self.kind(),
            self.span.start
        ))
    }

    /// The item's exact bytes in `doc`.
    pub fn raw<'a>(&self, doc: &'a [u8]) -> &'a [u8] {
        &doc[self.span.clone()]
    }

    pub fn uint(&self) -> Result<u64, String> {
        match self.value {
            Value::Int(i) => u64::try_from(i).map_err(|_| format!("{i} is not a u64")),
            _ => self.wrong("an unsigned integer"),
        }
    }

    pub fn bytes(&self) -> Result<&[u8], String> {
        match &self.value {
            Value::Bytes(b) => Ok(b),
            _ => self.wrong("bytes"),
        }
    }

    /// Exactly `N` bytes.
    pub fn hash<const N: usize>(&self) -> Result<[u8; N], String> {
        self.bytes()?
            .try_into()
            .map_err(|_| format!("expected {N} bytes at byte {}", self.span.start))
    }

    pub fn text(&self) -> Result<&str, String> {
        match &self.value {
            Value::Text(t) => Ok(t),
            _ => self.wrong("text"),
        }
    }

    pub fn bool(&self) -> Result<bool, String> {
        match self.value {
            Value::Bool(b) => Ok(b),
            _ => self.wrong("a bool"),
        }
    }

    /// The items of an array (a set's, under tag 258, too).
    pub fn array(&self) -> Result<&[Node], String> {
        match &self.value {
            Value::Array(a) => Ok(a),
            Value::Tag(258, inner) => inner.array(),
            _ => self.wrong("an array"),
        }
    }

    /// An array of exactly `n` items.
    pub fn fields(&self, n: usize) -> Result<&[Node], String> {
        let a = self.array()?;
        if a.len() != n {
            return Err(format!(
                "expected {n} fields, found {} at byte {}",
                a.len(),
                self.span.start
            ));
        }
        Ok(a)
    }

    pub fn map(&self) -> Result<&[(Node, Node)], String> {
        match &self.value {
            Value::Map(m) => Ok(m),
            _ => self.wrong("a map"),
        }
    }

    /// cardano-ledger's `StrictMaybe`: `[]` or `[x]`.
    pub fn strict_maybe(&self) -> Result<Option<&Node>, String> {
        match self.array()? {
            [] => Ok(None),
            [x] => Ok(Some(x)),
            _ => self.wrong("a StrictMaybe"),
        }
    }

    /// `null` or an item.
    pub fn nullable(&self) -> Option<&Node> {
        match self.value {
            Value::Null => None,
            _ => Some(self),
        }
    }

    /// A rational under tag 30: (numerator, denominator).
    pub fn rational(&self) -> Result<(u64, u64), String> {
        match &self.value {
            Value::Tag(30, inner) => {
                let f = inner.fields(2)?;
                Ok((f[0].uint()?, f[1].uint()?))
            }
            _ => self.wrong("a rational (tag 30)"),
        }
    }
}
