//! CloudFront's key-value store import format: `{"data": [{"key": "k", "value": "v"}, ...]}`.

use serde::Deserialize;

use super::KvsError;

#[derive(Deserialize)]
struct ImportFile {
    data: Vec<ImportEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportEntry {
    key: String,
    value: String,
}

/// Reads an import file's entries; `origin` names the file in errors.
pub fn parse_import(json: &str, origin: &str) -> Result<Vec<(String, String)>, KvsError> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    let file: ImportFile =
        serde_path_to_error::deserialize(deserializer).map_err(|e| KvsError::Import {
            path: origin.to_owned(),
            reason: format!("at {}: {}", e.path(), e.inner()),
        })?;
    Ok(file.data.into_iter().map(|e| (e.key, e.value)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_entry() {
        let error = parse_import(
            r#"{"data":[{"key":"a","value":"1"},{"key":"b"}]}"#,
            "kv.json",
        )
        .expect_err("missing value");
        let message = error.to_string();
        assert!(
            message.contains("kv.json") && message.contains("data[1]"),
            "{message}"
        );
    }
}
