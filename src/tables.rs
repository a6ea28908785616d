//! Schemas of the Microsoft tables rulecheck renders rows for (Defender XDR
//! advanced hunting and Sentinel's `SecurityEvent`), from `data/tables.yaml`:
//! each table's columns in Microsoft's documented order, with their KQL types.
//!
//! Renderers build rows from these lists, so a row always has exactly its
//! table's columns; a KQL engine types columns with [`columns`].

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

const BUILTIN: &str = include_str!("../data/tables.yaml");

static CATALOG: LazyLock<TableCatalog> = LazyLock::new(|| {
    TableCatalog::parse(BUILTIN).expect("data/tables.yaml is valid (checked by a unit test)")
});

/// The scalar types of KQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KqlType {
    Bool,
    Datetime,
    Dynamic,
    Guid,
    Int,
    Long,
    Real,
    String,
    Timespan,
}

impl KqlType {
    pub const ALL: [KqlType; 9] = [
        KqlType::Bool,
        KqlType::Datetime,
        KqlType::Dynamic,
        KqlType::Guid,
        KqlType::Int,
        KqlType::Long,
        KqlType::Real,
        KqlType::String,
        KqlType::Timespan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::Datetime => "datetime",
            KqlType::Dynamic => "dynamic",
            KqlType::Guid => "guid",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::String => "string",
            KqlType::Timespan => "timespan",
        }
    }

    /// Whether a JSON value in a rendered row is a valid value of this type.
    ///
    /// Rows carry datetimes as RFC 3339 strings, guids and timespans as strings,
    /// `dynamic` as any JSON value. Every type but `string` may be null (KQL's
    /// empty value); a KQL string is never null, only empty.
    pub fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (KqlType::String, Value::String(_)) => true,
            (KqlType::String, _) => false,
            (_, Value::Null) | (KqlType::Dynamic, _) => true,
            (KqlType::Bool, Value::Bool(_)) => true,
            (KqlType::Int, Value::Number(n)) => {
                n.as_i64().is_some_and(|v| i32::try_from(v).is_ok())
            }
            (KqlType::Long, Value::Number(n)) => n.as_i64().is_some(),
            (KqlType::Real, Value::Number(_)) => true,
            (KqlType::Datetime, Value::String(s)) => {
                chrono::DateTime::parse_from_rfc3339(s).is_ok()
            }
            (KqlType::Guid, Value::String(s)) => is_guid(s),
            (KqlType::Timespan, Value::String(_)) => true,
            _ => false,
        }
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KqlType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KqlType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a KQL type"))
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hexadecimal digits.
pub(crate) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: KqlType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// Microsoft's reference page for the table.
    pub reference: String,
    /// Whether the generator renders rows of this table. Tables it does not
    /// render are known to the KQL engine by schema only, so queries that
    /// read them compile and run (over no rows).
    pub rendered: bool,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    #[error("table schema file is not valid YAML of the expected shape")]
    Yaml(#[source] serde_norway::Error),
    #[error("table `{0}` is listed twice")]
    DuplicateTable(String),
    #[error("table `{table}` lists column `{column}` twice")]
    DuplicateColumn { table: String, column: String },
    #[error("table `{0}` has no columns")]
    NoColumns(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TablesFile {
    tables: Vec<TableEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableEntry {
    name: String,
    reference: String,
    #[serde(default = "rendered_by_default")]
    rendered: bool,
    columns: Vec<(String, KqlType)>,
}

fn rendered_by_default() -> bool {
    true
}

#[derive(Debug, Clone)]
pub struct TableCatalog {
    tables: Vec<Table>,
}

impl TableCatalog {
    pub fn parse(text: &str) -> Result<TableCatalog, TablesError> {
        let file: TablesFile = serde_norway::from_str(text).map_err(TablesError::Yaml)?;
        let mut tables: Vec<Table> = Vec::with_capacity(file.tables.len());
        for entry in file.tables {
            if tables.iter().any(|t| t.name == entry.name) {
                return Err(TablesError::DuplicateTable(entry.name));
            }
            if entry.columns.is_empty() {
                return Err(TablesError::NoColumns(entry.name));
            }
            let mut columns: Vec<Column> = Vec::with_capacity(entry.columns.len());
            for (name, kind) in entry.columns {
                if columns.iter().any(|c| c.name == name) {
                    return Err(TablesError::DuplicateColumn {
                        table: entry.name,
                        column: name,
                    });
                }
                columns.push(Column { name, kind });
            }
            tables.push(Table {
                name: entry.name,
                reference: entry.reference,
                rendered: entry.rendered,
                columns,
            });
        }
        Ok(TableCatalog { tables })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }
}

/// The schemas shipped in the binary.
pub fn catalog() -> &'static TableCatalog {
    &CATALOG
}

/// A shipped table's schema by name (case-sensitive, as KQL table names are).
pub fn table(name: &str) -> Option<&'static Table> {
    CATALOG.table(name)
}

/// A shipped table's columns, in order, with their types.
pub fn columns(name: &str) -> Option<&'static [Column]> {
    table(name).map(|t| t.columns.as_slice())
}

/// Names of the tables the generator renders, in file order: the tables a
/// bundle may hold rows of.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG
        .tables
        .iter()
        .filter(|t| t.rendered)
        .map(|t| t.name.as_str())
}

/// Names of every table with a shipped schema, rendered or not: the tables a
/// KQL query may name (those without rows in a bundle are empty there).
pub fn all_names() -> impl Iterator<Item = &'static str> {
    CATALOG.tables.iter().map(|t| t.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shipped_schemas_parse_and_have_microsofts_columns() {
        let catalog = TableCatalog::parse(BUILTIN).unwrap();
        let names: Vec<&str> = catalog
            .tables()
            .iter()
            .filter(|t| t.rendered)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, super::names().collect::<Vec<_>>());
        assert_eq!(
            names,
            [
                "DeviceProcessEvents",
                "DeviceNetworkEvents",
                "DeviceFileEvents",
                "DeviceRegistryEvents",
                "DeviceLogonEvents",
                "DeviceImageLoadEvents",
                "DeviceEvents",
                "SecurityEvent",
                "AuditLogs",
                "SigninLogs",
                "AzureActivity"
            ]
        );
        let process = table("DeviceProcessEvents").unwrap();
        assert_eq!(process.columns[0].name, "Timestamp");
        assert_eq!(process.columns[0].kind, KqlType::Datetime);
        assert_eq!(process.column("ProcessId").unwrap().kind, KqlType::Long);
        assert_eq!(
            process.column("IsProcessRemoteSession").unwrap().kind,
            KqlType::Bool
        );
        let network = columns("DeviceNetworkEvents").unwrap();
        assert_eq!(
            network
                .iter()
                .find(|c| c.name == "RemotePort")
                .unwrap()
                .kind,
            KqlType::Int
        );
        let security = table("SecurityEvent").unwrap();
        assert_eq!(security.column("EventID").unwrap().kind, KqlType::Int);
        assert_eq!(security.column("LogonType").unwrap().kind, KqlType::Int);
        assert_eq!(
            security.column("TimeGenerated").unwrap().kind,
            KqlType::Datetime
        );
        assert_eq!(security.column("_BilledSize").unwrap().kind, KqlType::Real);
        // The cloud tables: Entra ID's and the Azure activity log.
        let activity = table("AzureActivity").unwrap();
        assert_eq!(
            activity.column("Properties_d").unwrap().kind,
            KqlType::Dynamic
        );
        assert_eq!(activity.column("Properties").unwrap().kind, KqlType::String);
        assert_eq!(
            activity.column("EventSubmissionTimestamp").unwrap().kind,
            KqlType::Datetime
        );
        assert_eq!(
            table("SigninLogs")
                .unwrap()
                .column("LocationDetails")
                .unwrap()
                .kind,
            KqlType::Dynamic
        );
        // Every Defender table starts with the same four columns.
        for t in catalog
            .tables()
            .iter()
            .filter(|t| t.rendered && t.name.starts_with("Device"))
        {
            let head: Vec<&str> = t.columns[..4].iter().map(|c| c.name.as_str()).collect();
            assert_eq!(head, ["Timestamp", "DeviceId", "DeviceName", "ActionType"]);
            assert!(t.column("ReportId").is_some(), "{}", t.name);
        }
        assert!(
            table("devicefileevents").is_none(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn bad_schema_files_are_rejected() {
        let dup = "tables:\n  - name: T\n    reference: r\n    columns: [[A, string], [A, int]]\n";
        assert!(matches!(
            TableCatalog::parse(dup),
            Err(TablesError::DuplicateColumn { .. })
        ));
        let bad_type = "tables:\n  - name: T\n    reference: r\n    columns: [[A, varchar]]\n";
        assert!(matches!(
            TableCatalog::parse(bad_type),
            Err(TablesError::Yaml(_))
        ));
        let empty = "tables:\n  - name: T\n    reference: r\n    columns: []\n";
        assert!(matches!(
            TableCatalog::parse(empty),
            Err(TablesError::NoColumns(_))
        ));
    }

    #[test]
    fn values_are_checked_against_kql_types() {
        assert!(KqlType::Datetime.accepts(&json!("2026-03-02T09:14:39.5974810Z")));
        assert!(!KqlType::Datetime.accepts(&json!("2026-03-02 09:14:39")));
        assert!(KqlType::Datetime.accepts(&Value::Null));
        assert!(KqlType::String.accepts(&json!("")));
        assert!(
            !KqlType::String.accepts(&Value::Null),
            "KQL strings are never null"
        );
        assert!(KqlType::Int.accepts(&json!(443)));
        assert!(!KqlType::Int.accepts(&json!(4_294_967_296_i64)));
        assert!(KqlType::Long.accepts(&json!(4_294_967_296_i64)));
        assert!(!KqlType::Long.accepts(&json!(1.5)));
        assert!(KqlType::Real.accepts(&json!(1.5)));
        assert!(KqlType::Bool.accepts(&json!(false)));
        assert!(!KqlType::Bool.accepts(&json!("false")));
        assert!(KqlType::Guid.accepts(&json!("8e2f41a6-5b1f-69a5-3c2d-000000000800")));
        assert!(!KqlType::Guid.accepts(&json!("{8e2f41a6-5b1f-69a5-3c2d-000000000800}")));
        assert!(KqlType::Dynamic.accepts(&json!({"a": [1]})));
        assert_eq!("long".parse::<KqlType>(), Ok(KqlType::Long));
        assert!("boolean".parse::<KqlType>().is_err());
    }

    #[test]
    fn schema_only_tables_are_known_but_not_rendered() {
        const SCHEMA_ONLY: [&str; 25] = [
            "DeviceInfo",
            "DeviceNetworkInfo",
            "DeviceFileCertificateInfo",
            "DeviceTvmSoftwareVulnerabilities",
            "DeviceTvmSoftwareInventory",
            "IdentityLogonEvents",
            "IdentityDirectoryEvents",
            "IdentityQueryEvents",
            "EmailEvents",
            "EmailAttachmentInfo",
            "EmailUrlInfo",
            "EmailPostDeliveryEvents",
            "UrlClickEvents",
            "CloudAppEvents",
            "AlertInfo",
            "AlertEvidence",
            "IdentityInfo",
            "SecurityAlert",
            "SecurityIncident",
            "OfficeActivity",
            "ThreatIntelligenceIndicator",
            "Event",
            "Syslog",
            "CommonSecurityLog",
            "Heartbeat",
        ];
        let rendered: Vec<&str> = names().collect();
        let known: Vec<&str> = all_names().collect();
        for name in SCHEMA_ONLY {
            let t = table(name).unwrap_or_else(|| panic!("{name} has no schema"));
            assert!(!t.rendered, "{name} is schema-only");
            assert!(!rendered.contains(&name), "{name} is not rendered");
            assert!(known.contains(&name), "{name} is known to KQL");
            assert!(t.reference.starts_with("https://learn.microsoft.com/"));
        }
        let kind = |t: &str, c: &str| {
            table(t)
                .unwrap()
                .column(c)
                .unwrap_or_else(|| panic!("{t}.{c}"))
                .kind
        };
        assert_eq!(kind("DeviceInfo", "OSPlatform"), KqlType::String);
        assert_eq!(kind("DeviceInfo", "IsInternetFacing"), KqlType::Bool);
        assert_eq!(kind("SigninLogs", "ResultType"), KqlType::String);
        assert_eq!(kind("AuditLogs", "TargetResources"), KqlType::Dynamic);
        assert_eq!(kind("SecurityAlert", "Entities"), KqlType::String);
        assert_eq!(kind("CommonSecurityLog", "DeviceVendor"), KqlType::String);
        assert_eq!(kind("Syslog", "SyslogMessage"), KqlType::String);
        assert_eq!(kind("IdentityInfo", "AssignedRoles"), KqlType::Dynamic);
        // Defender tables lead with Timestamp, in Microsoft's documented order.
        assert_eq!(table("EmailEvents").unwrap().columns[0].name, "Timestamp");
    }
}
