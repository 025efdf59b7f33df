//! Which files are config files worth scanning for secrets, and as what.
//!
//! Secrets leak through `.env` files, Compose files, Terraform variables and
//! key files far more often than through source code, but lockfiles and
//! minified bundles are huge, generated and full of high-entropy hashes, so
//! they are left out. Some secret files are hidden (`.env`, `.npmrc`), and
//! the walker skips hidden files: [`is_secret_dotfile`] names the ones it
//! must read anyway.

use std::path::{Component, Path};

use super::ConfigKind;

/// Generated files whose hashes look like secrets and whose content nobody
/// writes by hand.
const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "cargo.lock",
    "poetry.lock",
    "pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "composer.lock",
    "gemfile.lock",
    "go.sum",
    "flake.lock",
    "packages.lock.json",
    "mix.lock",
    "pubspec.lock",
    "podfile.lock",
];

/// Private-key files that carry no extension.
const KEY_FILES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

fn file_name(path: &Path) -> Option<String> {
    Some(path.file_name()?.to_str()?.to_ascii_lowercase())
}

fn parent_name(path: &Path) -> Option<&str> {
    path.parent()?.file_name()?.to_str()
}

fn under_git_dir(path: &Path) -> bool {
    path.components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".git"))
}

/// Words that mark a config file as an example or template to copy
/// (`.env.example`, `config.sample.yaml`, `settings.template.json`,
/// botocore's `examples-1.json`).
const EXAMPLE_WORDS: &[&str] = &["example", "sample", "template"];

/// Whether the config file `path` is, by its name, an example or template:
/// only provider formats are looked for there (`super::scan_config_file`).
pub fn is_example_file(path: &Path) -> bool {
    file_name(path).is_some_and(|name| EXAMPLE_WORDS.iter().any(|w| name.contains(w)))
}

/// The config format of `path`, judged by its name, or `None` for files
/// that are not config files (and for lockfiles and minified files).
pub fn config_kind(path: &Path) -> Option<ConfigKind> {
    if under_git_dir(path) {
        return None;
    }
    let name = file_name(path)?;
    if LOCKFILES.contains(&name.as_str()) || name.contains(".min.") || name.ends_with(".map") {
        return None;
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Some(ConfigKind::Env);
    }
    match name.as_str() {
        ".npmrc" | ".yarnrc" => return Some(ConfigKind::Npmrc),
        ".pypirc" | ".pgpass.conf" => return Some(ConfigKind::Ini),
        ".netrc" | "_netrc" => return Some(ConfigKind::Netrc),
        "containerfile" => return Some(ConfigKind::Dockerfile),
        _ => {}
    }
    if name == "credentials" && parent_name(path) == Some(".aws") {
        return Some(ConfigKind::Ini);
    }
    if name == "dockerfile" || name.starts_with("dockerfile.") || name.ends_with(".dockerfile") {
        return Some(ConfigKind::Dockerfile);
    }
    if KEY_FILES.contains(&name.as_str()) {
        return Some(ConfigKind::Pem);
    }
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        "yaml" | "yml" => ConfigKind::Yaml,
        "json" | "jsonc" | "json5" => ConfigKind::Json,
        "toml" => ConfigKind::Toml,
        "ini" | "cfg" | "conf" | "cnf" => ConfigKind::Ini,
        "properties" => ConfigKind::Properties,
        "tf" | "tfvars" | "hcl" => ConfigKind::Terraform,
        "pem" | "key" => ConfigKind::Pem,
        _ => return None,
    })
}

/// Whether `path` is a hidden file that holds secrets and must be read even
/// though the walker skips hidden files: `.env*`, `.npmrc`, `.pypirc`,
/// `.netrc`, `.aws/credentials`, `.docker/config.json`. Never anything
/// under `.git/`.
pub fn is_secret_dotfile(path: &Path) -> bool {
    if under_git_dir(path) {
        return false;
    }
    let Some(name) = file_name(path) else {
        return false;
    };
    let parent = parent_name(path);
    name == ".env"
        || name.starts_with(".env.")
        || matches!(name.as_str(), ".npmrc" | ".pypirc" | ".netrc")
        || (name == "credentials" && parent == Some(".aws"))
        || (name == "config.json" && parent == Some(".docker"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(p: &str) -> Option<ConfigKind> {
        config_kind(Path::new(p))
    }

    #[test]
    fn kinds_by_name() {
        let cases = [
            (".env", Some(ConfigKind::Env)),
            ("app/.env.production", Some(ConfigKind::Env)),
            ("deploy/prod.env", Some(ConfigKind::Env)),
            ("settings.yaml", Some(ConfigKind::Yaml)),
            ("docker-compose.override.yml", Some(ConfigKind::Yaml)),
            ("appsettings.json", Some(ConfigKind::Json)),
            ("home/.docker/config.json", Some(ConfigKind::Json)),
            ("pyproject.toml", Some(ConfigKind::Toml)),
            ("setup.cfg", Some(ConfigKind::Ini)),
            ("nginx.conf", Some(ConfigKind::Ini)),
            ("app.properties", Some(ConfigKind::Properties)),
            ("Dockerfile", Some(ConfigKind::Dockerfile)),
            ("Dockerfile.prod", Some(ConfigKind::Dockerfile)),
            ("api.dockerfile", Some(ConfigKind::Dockerfile)),
            ("main.tf", Some(ConfigKind::Terraform)),
            ("prod.tfvars", Some(ConfigKind::Terraform)),
            ("server.key", Some(ConfigKind::Pem)),
            ("certs/tls.pem", Some(ConfigKind::Pem)),
            ("id_ed25519", Some(ConfigKind::Pem)),
            (".npmrc", Some(ConfigKind::Npmrc)),
            (".pypirc", Some(ConfigKind::Ini)),
            (".netrc", Some(ConfigKind::Netrc)),
            ("home/.aws/credentials", Some(ConfigKind::Ini)),
        ];
        for (path, want) in cases {
            assert_eq!(kind(path), want, "{path}");
        }
    }

    #[test]
    fn lockfiles_bundles_and_sources_are_not_config() {
        for p in [
            "package-lock.json",
            "yarn.lock",
            "Cargo.lock",
            "poetry.lock",
            "pnpm-lock.yaml",
            "dist/app.min.js",
            "dist/data.min.json",
            "app.js.map",
            "main.py",
            "README.md",
            "credentials",
            ".git/config",
            "repo/.git/hooks/x.json",
            "Makefile",
        ] {
            assert_eq!(kind(p), None, "{p}");
        }
    }

    #[test]
    fn secret_dotfiles() {
        for p in [
            ".env",
            "a/.env.local",
            ".npmrc",
            ".pypirc",
            ".netrc",
            "h/.aws/credentials",
            "h/.docker/config.json",
        ] {
            assert!(is_secret_dotfile(Path::new(p)), "{p}");
        }
        for p in [
            ".git/.env",
            "x/.git/config",
            ".gitignore",
            ".github/workflows/ci.yml",
            "config.json",
            ".envrc",
            "credentials",
        ] {
            assert!(!is_secret_dotfile(Path::new(p)), "{p}");
        }
    }
}
