//! How the state is written as JSON (checkpoints): maps as lists of pairs, bytes as hex.

/// Serializes a map as a list of pairs (JSON maps need string keys).
pub mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A map whose key and value types deserialization can name.
    pub trait PairMap: FromIterator<(Self::K, Self::V)> {
        /// The map's key type.
        type K;
        /// The map's value type.
        type V;
    }

    impl<K: Ord + Clone, V: Clone> PairMap for imbl::OrdMap<K, V> {
        type K = K;
        type V = V;
    }

    impl<K: Ord, V> PairMap for std::collections::BTreeMap<K, V> {
        type K = K;
        type V = V;
    }

    /// Writes the map as a JSON list of `[key, value]` pairs, in the map's order.
    pub fn serialize<'a, M, S>(m: &'a M, s: S) -> Result<S::Ok, S::Error>
    where
        M: PairMap,
        &'a M: IntoIterator<Item = (&'a M::K, &'a M::V)>,
        M::K: Serialize + 'a,
        M::V: Serialize + 'a,
        S: Serializer,
    {
        s.collect_seq(m)
    }

    /// Reads a list of `[key, value]` pairs back into the map; a repeated key keeps the last value.
    pub fn deserialize<'de, M, D>(d: D) -> Result<M, D::Error>
    where
        M: PairMap,
        M::K: Deserialize<'de>,
        M::V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(M::K, M::V)>::deserialize(d)?.into_iter().collect())
    }
}

/// A 32-byte array as hex.
pub mod hex32 {
    /// Writes the 32 bytes as 64 lowercase hex digits.
    pub fn serialize<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads 64 hex digits back; any other length is an error.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(&s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected 32 bytes of hex"))
    }
}

/// Bytes as hex.
pub mod hex_vec {
    /// Writes the bytes as lowercase hex.
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads hex back into bytes.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(&s).map_err(serde::de::Error::custom)
    }
}

/// Serializes an optional map as null or a list of pairs (JSON maps need string keys).
pub mod optional_pairs {
    use imbl::OrdMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `None` as null, a map as a list of `[key, value]` pairs in the map's order.
    pub fn serialize<K, V, S>(m: &Option<OrdMap<K, V>>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord + Clone,
        V: Serialize + Clone,
        S: Serializer,
    {
        m.as_ref().map(|m| m.iter().collect::<Vec<_>>()).serialize(s)
    }

    /// Reads null or a list of pairs back; a repeated key keeps the last value.
    pub fn deserialize<'de, K, V, D>(d: D) -> Result<Option<OrdMap<K, V>>, D::Error>
    where
        K: Deserialize<'de> + Ord + Clone,
        V: Deserialize<'de> + Clone,
        D: Deserializer<'de>,
    {
        Ok(Option::<Vec<(K, V)>>::deserialize(d)?.map(|v| v.into_iter().collect()))
    }
}
