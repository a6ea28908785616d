//! `geo_info_from_ip_address()` over the shipped table `data/geoip.yaml`
//! (illustrative locations for the addresses rulecheck's world uses; see the
//! file's header). The most specific CIDR block containing the address wins.

use std::net::Ipv4Addr;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

const BUILTIN: &str = include_str!("../../../data/geoip.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeoFile {
    ranges: Vec<GeoRange>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeoRange {
    cidr: String,
    country: String,
    state: String,
    city: String,
    latitude: f64,
    longitude: f64,
}

struct Block {
    network: u32,
    prefix: u32,
    range: GeoRange,
}

/// Parsed once; immutable afterwards. Parsing is tested, so a failure here is
/// a broken build, not bad input.
static TABLE: LazyLock<Vec<Block>> =
    LazyLock::new(|| parse(BUILTIN).expect("data/geoip.yaml is valid (checked by a unit test)"));

fn parse(text: &str) -> Result<Vec<Block>, String> {
    let file: GeoFile = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    file.ranges
        .into_iter()
        .map(|range| {
            let (ip, prefix) = range
                .cidr
                .split_once('/')
                .ok_or_else(|| format!("`{}` is not a CIDR block", range.cidr))?;
            let ip: Ipv4Addr = ip.parse().map_err(|e| format!("`{}`: {e}", range.cidr))?;
            let prefix: u32 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= 32)
                .ok_or_else(|| format!("`{}`: bad prefix length", range.cidr))?;
            Ok(Block {
                network: u32::from(ip) & mask(prefix),
                prefix,
                range,
            })
        })
        .collect()
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// The location of an address as Kusto's bag (`country`, `state`, `city`,
/// `latitude`, `longitude`); an empty bag for addresses outside the table;
/// `None` for text that is not an IPv4 address.
pub fn geo_info(address: &str) -> Option<Json> {
    let ip: Ipv4Addr = address.trim().parse().ok()?;
    let ip = u32::from(ip);
    let best = TABLE
        .iter()
        .filter(|b| ip & mask(b.prefix) == b.network)
        .max_by_key(|b| b.prefix);
    let mut bag = Map::new();
    if let Some(b) = best {
        bag.insert("country".into(), Json::from(b.range.country.clone()));
        bag.insert("state".into(), Json::from(b.range.state.clone()));
        bag.insert("city".into(), Json::from(b.range.city.clone()));
        bag.insert("latitude".into(), Json::from(b.range.latitude));
        bag.insert("longitude".into(), Json::from(b.range.longitude));
    }
    Some(Json::Object(bag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_the_most_specific_block_wins() {
        assert!(parse(BUILTIN).unwrap().len() >= 5);
        let ms = geo_info("52.97.146.194").unwrap();
        assert_eq!(ms["country"], "United States");
        assert_eq!(ms["city"], "Redmond");
        assert_eq!(geo_info("10.20.1.40").unwrap(), Json::Object(Map::new()));
        assert_eq!(geo_info("not an ip"), None);
        let nested = parse("ranges:\n  - { cidr: 1.0.0.0/8, country: A, state: a, city: a, latitude: 0, longitude: 0 }\n  - { cidr: 1.2.0.0/16, country: B, state: b, city: b, latitude: 0, longitude: 0 }\n").unwrap();
        let best = nested
            .iter()
            .filter(|b| u32::from(Ipv4Addr::new(1, 2, 3, 4)) & mask(b.prefix) == b.network)
            .max_by_key(|b| b.prefix)
            .unwrap();
        assert_eq!(best.range.country, "B");
        assert!(parse("ranges:\n  - { cidr: 1.2.3.4, country: A, state: a, city: a, latitude: 0, longitude: 0 }\n").is_err());
    }
}
