//! The parts of a Spin application manifest (spin.toml, version 2) that the
//! test host honours: HTTP routes, component sources, key-value grants,
//! allowed outbound hosts and variables.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDef>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDef>,
}

#[derive(Debug, Deserialize)]
pub struct Application {
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDef {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
pub struct HttpTrigger {
    pub route: RouteDef,
    pub component: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteDef {
    Path(String),
    /// `route = { private = true }`: reachable only by service chaining.
    Private {
        private: bool,
    },
}

#[derive(Debug, Deserialize)]
pub struct ComponentDef {
    pub source: String,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if manifest.spin_manifest_version != 2 {
            bail!("only spin_manifest_version = 2 is supported");
        }
        for trigger in &manifest.trigger.http {
            if !manifest.component.contains_key(&trigger.component) {
                bail!(
                    "trigger for {:?} names a component that is not defined",
                    trigger.component
                );
            }
        }
        for (name, def) in &manifest.variables {
            if def.required && def.default.is_some() {
                bail!("variable {name:?}: `required` and `default` are mutually exclusive");
            }
        }
        Ok(manifest)
    }

    /// A component's source file, relative to the manifest's folder.
    pub fn source_path(manifest_path: &Path, component: &ComponentDef) -> PathBuf {
        manifest_path.parent().unwrap_or(Path::new(".")).join(&component.source)
    }
}
