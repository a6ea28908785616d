//! Logsource routing: which bundle events a Sigma rule may see, and under which
//! field names. The table is data (`data/logsources.yaml`), not code.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::diagnostic::SourceError;

const BUILTIN: &str = include_str!("../../data/logsources.yaml");

/// A Sigma `logsource` reduced to the keys that route it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsourceKey {
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

impl LogsourceKey {
    pub fn new(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Self {
        let norm = |v: Option<&str>| v.map(|s| s.trim().to_ascii_lowercase());
        LogsourceKey {
            product: norm(product),
            category: norm(category),
            service: norm(service),
        }
    }
}

impl fmt::Display for LogsourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("category", &self.category),
            ("service", &self.service),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        if parts.is_empty() {
            f.write_str("(empty logsource)")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// Where events for a logsource come from, and how to rename their fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub source: String,
    /// Empty means every event of the source.
    #[serde(default)]
    pub event_ids: Vec<u64>,
    /// Defender XDR tables tell event kinds apart by `ActionType`; empty means any.
    #[serde(default)]
    pub action_types: Vec<String>,
    /// Sigma field name → record field name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Index of `fields` among the table's distinct mappings, so each event's
    /// mapped view is built once however many rules use it.
    #[serde(skip)]
    pub mapping: Option<usize>,
}

impl Route {
    pub fn accepts(&self, source: &str, event_id: Option<u64>, action_type: Option<&str>) -> bool {
        self.source == source
            && (self.event_ids.is_empty()
                || event_id.is_some_and(|id| self.event_ids.contains(&id)))
            && (self.action_types.is_empty()
                || action_type.is_some_and(|a| self.action_types.iter().any(|t| t == a)))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    service: Option<String>,
    routes: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    sources: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    logsources: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct LogsourceTable {
    entries: Vec<(LogsourceKey, Vec<Route>)>,
    mappings: Vec<BTreeMap<String, String>>,
    /// Lower-cased channel name → source name.
    channels: BTreeMap<String, String>,
}

impl LogsourceTable {
    /// The routing table shipped in the binary (parsing it is unit-tested).
    pub fn builtin() -> LogsourceTable {
        Self::parse(BUILTIN).expect("data/logsources.yaml is valid (checked by a unit test)")
    }

    pub fn parse(text: &str) -> Result<LogsourceTable, serde_norway::Error> {
        Ok(Self::from_file(serde_norway::from_str(text)?))
    }

    /// The built-in table with a repository's mapping file on top: its
    /// `logsources` entries are consulted before the built-in ones, and its
    /// `sources` add channels (or move them to other sources).
    pub fn builtin_with(path: &str, text: &str) -> Result<LogsourceTable, SourceError> {
        let user: TableFile =
            serde_norway::from_str(text).map_err(|e| SourceError::from_yaml(path, text, &e))?;
        let mut file: TableFile = serde_norway::from_str(BUILTIN)
            .expect("data/logsources.yaml is valid (checked by a unit test)");
        file.sources.extend(user.sources);
        let mut entries = user.logsources;
        entries.append(&mut file.logsources);
        file.logsources = entries;
        Ok(Self::from_file(file))
    }

    fn from_file(file: TableFile) -> LogsourceTable {
        let mut mappings: Vec<BTreeMap<String, String>> = Vec::new();
        let entries = file
            .logsources
            .into_iter()
            .map(|e| {
                let key = LogsourceKey::new(
                    e.product.as_deref(),
                    e.category.as_deref(),
                    e.service.as_deref(),
                );
                let routes = e
                    .routes
                    .into_iter()
                    .map(|mut r| {
                        if !r.fields.is_empty() {
                            let index = match mappings.iter().position(|m| *m == r.fields) {
                                Some(i) => i,
                                None => {
                                    mappings.push(r.fields.clone());
                                    mappings.len() - 1
                                }
                            };
                            r.mapping = Some(index);
                        }
                        r
                    })
                    .collect();
                (key, routes)
            })
            .collect();
        let channels = file
            .sources
            .iter()
            .flat_map(|(source, channels)| {
                channels
                    .iter()
                    .map(move |c| (c.to_lowercase(), source.clone()))
            })
            .collect();
        LogsourceTable {
            entries,
            mappings,
            channels,
        }
    }

    /// The `source` of a real record from its channel: the source listing the
    /// channel, else the channel name itself (which no route selects).
    pub fn source_for_channel(&self, channel: &str) -> String {
        self.channels
            .get(&channel.to_lowercase())
            .cloned()
            .unwrap_or_else(|| channel.to_string())
    }

    /// The distinct field mappings routes refer to by [`Route::mapping`].
    pub fn mappings(&self) -> &[BTreeMap<String, String>] {
        &self.mappings
    }

    /// Whether any route with mapping `index` accepts events of this kind.
    pub fn mapping_applies(
        &self,
        index: usize,
        source: &str,
        event_id: Option<u64>,
        action_type: Option<&str>,
    ) -> bool {
        self.entries
            .iter()
            .flat_map(|(_, routes)| routes)
            .any(|r| r.mapping == Some(index) && r.accepts(source, event_id, action_type))
    }

    /// Routes for a rule's logsource; empty when rulecheck has no source for it.
    pub fn routes_for(&self, key: &LogsourceKey) -> Vec<Route> {
        self.entries
            .iter()
            .find(|(k, _)| {
                (key.product.is_none() || key.product == k.product)
                    && key.category == k.category
                    && key.service == k.service
            })
            .map(|(_, routes)| routes.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_creation_routes_to_sysmon_security_and_defender_with_field_mapping() {
        let table = LogsourceTable::builtin();
        let routes = table.routes_for(&LogsourceKey::new(
            Some("Windows"),
            Some("process_creation"),
            None,
        ));
        assert_eq!(routes.len(), 3);
        assert!(routes[0].accepts("sysmon", Some(1), None));
        assert!(!routes[0].accepts("sysmon", Some(3), None));
        assert!(routes[1].accepts("security", Some(4688), None));
        assert_eq!(routes[1].fields["Image"], "NewProcessName");
        assert!(routes[2].accepts("DeviceProcessEvents", None, Some("ProcessCreated")));
        assert!(!routes[2].accepts("DeviceProcessEvents", None, Some("OpenProcess")));
        assert_eq!(routes[2].fields["CommandLine"], "ProcessCommandLine");
    }

    #[test]
    fn service_and_product_only_logsources_route_whole_logs() {
        let table = LogsourceTable::builtin();
        let security =
            table.routes_for(&LogsourceKey::new(Some("windows"), None, Some("security")));
        assert!(security[0].accepts("security", Some(4624), None));
        let any = table.routes_for(&LogsourceKey::new(Some("windows"), None, None));
        assert_eq!(any.len(), 2);
    }

    #[test]
    fn a_repository_mapping_file_comes_first_and_adds_channels() {
        let user = "sources:\n  edr: [Acme EDR]\nlogsources:\n  - product: windows\n    category: process_creation\n    routes:\n      - source: edr\n        fields: {Image: proc_path}\n";
        let table = LogsourceTable::builtin_with("m.yaml", user).unwrap();
        let routes = table.routes_for(&LogsourceKey::new(
            Some("windows"),
            Some("process_creation"),
            None,
        ));
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].fields["Image"], "proc_path");
        assert_eq!(table.source_for_channel("acme edr"), "edr");
        assert_eq!(table.source_for_channel("Security"), "security");
        let err = LogsourceTable::builtin_with(
            "m.yaml",
            "logsources:\n  - product: windows\n    rotes: []\n",
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
    }

    #[test]
    fn channels_name_sources() {
        let table = LogsourceTable::builtin();
        assert_eq!(
            table.source_for_channel("Microsoft-Windows-Sysmon/Operational"),
            "sysmon"
        );
        assert_eq!(table.source_for_channel("security"), "security");
        assert_eq!(
            table.source_for_channel("Windows PowerShell"),
            "powershell-classic"
        );
        assert_eq!(table.source_for_channel("Some/Other"), "Some/Other");
        let ps = table.routes_for(&LogsourceKey::new(Some("windows"), Some("ps_script"), None));
        assert!(ps[0].accepts("powershell", Some(4104), None));
    }

    #[test]
    fn table_routes_name_real_columns() {
        // A mapping to a column the table lacks would silently never match.
        let file: TableFile = serde_norway::from_str(BUILTIN).unwrap();
        let column = regex::Regex::new(r"\{(\w+)\}").unwrap();
        let mut checked = 0;
        for entry in &file.logsources {
            for route in &entry.routes {
                let Some(table) = crate::tables::table(&route.source) else {
                    continue;
                };
                for (sigma, source) in &route.fields {
                    let names: Vec<&str> = if source.contains('{') {
                        column
                            .captures_iter(source)
                            .map(|c| c.get(1).unwrap().as_str())
                            .collect()
                    } else {
                        vec![source.as_str()]
                    };
                    for name in names {
                        assert!(
                            table.column(name).is_some(),
                            "{}: {sigma} maps to `{name}`, which {} does not have",
                            route.source,
                            route.source
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 30, "{checked}");
    }

    #[test]
    fn unknown_logsources_have_no_routes() {
        let table = LogsourceTable::builtin();
        assert!(
            table
                .routes_for(&LogsourceKey::new(
                    Some("windows"),
                    Some("ps_unknown"),
                    None
                ))
                .is_empty()
        );
        assert!(
            table
                .routes_for(&LogsourceKey::new(
                    Some("linux"),
                    Some("process_creation"),
                    None
                ))
                .is_empty()
        );
    }
}
