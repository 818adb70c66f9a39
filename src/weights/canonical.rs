//! The same bytes for the same weights, every time: safetensors writes its metadata map in
//! hash order, which differs from process to process, so every file arsim writes has its
//! header re-emitted with its keys sorted (the tensors' bytes unchanged).

/// The JSON header of serialised safetensors bytes.
pub(crate) fn header(bytes: &[u8]) -> Option<serde_json::Value> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    serde_json::from_slice(bytes.get(8..8usize.checked_add(n)?)?).ok()
}

/// A serialised safetensors file with its header's keys sorted (the tensors' bytes unchanged).
pub(crate) fn canonical(bytes: Vec<u8>) -> Vec<u8> {
    let Some(header) = header(&bytes) else {
        return bytes;
    };
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let mut json = serde_json::to_vec(&sorted(header)).expect("a JSON value serialises");
    // safetensors pads the header with spaces to a multiple of 8 bytes.
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + json.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

/// The value with every object's keys inserted in sorted order.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}
