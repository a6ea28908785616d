//! PE version metadata of well-known images (`data/binaries.yaml`), so rules that
//! match `OriginalFileName`, `Description` or `Company` see what Windows reports.

use std::collections::BTreeMap;

use serde::Deserialize;

const BUILTIN: &str = include_str!("../data/binaries.yaml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeInfo {
    pub original_file_name: String,
    pub description: String,
    pub product: String,
    pub company: String,
    pub file_version: String,
    /// Authenticode signer (`Microsoft Windows`); `None` for unsigned images.
    #[serde(default)]
    pub signature: Option<String>,
}

impl PeInfo {
    /// What Sysmon writes for an image without a version resource.
    pub fn unknown() -> PeInfo {
        let dash = || "-".to_string();
        PeInfo {
            original_file_name: dash(),
            description: dash(),
            product: dash(),
            company: dash(),
            file_version: dash(),
            signature: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BinaryCatalog {
    by_file_name: BTreeMap<String, PeInfo>,
}

#[derive(Deserialize)]
struct CatalogFile {
    #[serde(rename = "_defaults")]
    _defaults: serde_norway::Value,
    binaries: BTreeMap<String, PeInfo>,
}

impl BinaryCatalog {
    /// The catalog shipped in the binary. Parsing it is tested, so failure here
    /// means a broken build, not bad user input.
    pub fn builtin() -> BinaryCatalog {
        Self::parse(BUILTIN).expect("data/binaries.yaml is valid (checked by a unit test)")
    }

    pub fn parse(text: &str) -> Result<BinaryCatalog, serde_norway::Error> {
        let mut value: serde_norway::Value = serde_norway::from_str(text)?;
        value.apply_merge()?;
        let file: CatalogFile = serde_norway::from_value(value)?;
        Ok(BinaryCatalog {
            by_file_name: file
                .binaries
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        })
    }

    /// Metadata for a full image path, looked up by file name, case-insensitively.
    pub fn lookup(&self, image: &str) -> Option<&PeInfo> {
        let file = image
            .rsplit('\\')
            .next()
            .unwrap_or(image)
            .to_ascii_lowercase();
        self.by_file_name.get(&file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_resolves_merge_keys() {
        let catalog = BinaryCatalog::parse(BUILTIN).unwrap();
        let ps = catalog
            .lookup(r"C:\Windows\System32\WindowsPowerShell\v1.0\POWERSHELL.EXE")
            .unwrap();
        assert_eq!(ps.original_file_name, "PowerShell.EXE");
        assert_eq!(ps.company, "Microsoft Corporation");
        assert_eq!(ps.signature.as_deref(), Some("Microsoft Windows"));
        assert!(catalog.lookup(r"C:\Users\x\evil.exe").is_none());
        let comsvcs = catalog.lookup(r"C:\Windows\System32\comsvcs.dll").unwrap();
        assert_eq!(comsvcs.description, "COM+ Services");
        let chrome = catalog.lookup("chrome.exe").unwrap();
        assert_eq!(chrome.signature, None);
    }
}
