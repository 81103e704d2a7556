//! The command line: every command, argument and option, as clap derives them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// One uniform command over the object storage, compute, DNS and load balancers of every
/// provider compiled into this build.
#[derive(Debug, Parser)]
#[command(
    name = "libcloud",
    version,
    about = "Object storage, compute, DNS and load balancers of many clouds through one command",
    long_about = "Object storage, compute, DNS and load balancers of many clouds through one command.\n\n\
        Storage commands take URLs of the form SCHEME://CONTAINER/KEY?OPTION=VALUE, where the \
        scheme names the provider (memory://box/a.txt, local://box/a.txt?root=/srv/data, \
        s3://bucket/key). Compute, DNS and load balancer commands take the provider from \
        --provider (or LIBCLOUD_PROVIDER) or --url. Credentials come from each provider's own \
        environment variables and profiles, never from the command line.\n\n\
        Exit codes: 0 success, 1 other failure, 2 invalid input or usage, 3 not found, \
        4 invalid credentials, 5 permission denied.",
    propagate_version = true
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub globals: Globals,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes; they may be given before or after the command's name.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct Globals {
    /// Provider for compute, DNS and load balancer commands, and for storage paths written
    /// CONTAINER/KEY without a scheme.
    #[arg(
        long,
        short = 'p',
        global = true,
        env = "LIBCLOUD_PROVIDER",
        value_name = "NAME"
    )]
    pub provider: Option<String>,

    /// Driver URL for compute, DNS and load balancer commands (memory://lab, gogrid://?...);
    /// takes precedence over --provider.
    #[arg(long = "url", id = "driver_url", global = true, value_name = "URL")]
    pub url: Option<String>,

    /// A driver option (repeatable). With --provider, global options go to that provider's
    /// drivers only; options written in a URL's query take precedence.
    #[arg(
        long = "option",
        short = 'O',
        global = true,
        value_name = "KEY=VALUE",
        value_parser = parse_key_value
    )]
    pub options: Vec<(String, String)>,

    /// Send every request to this server instead of the provider's own (an emulator, a proxy,
    /// another region's endpoint). The same as --option endpoint=URL.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// The provider profile to read credentials and settings from (for providers that have
    /// profiles). The same as --option profile=NAME.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Output format of listings and shown resources [default: table on a terminal, json
    /// otherwise].
    #[arg(long, short = 'o', global = true, env = "LIBCLOUD_OUTPUT", value_enum)]
    pub output: Option<OutputFormat>,

    /// No progress bars and no notices; errors are still reported.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// How listings and resources are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line.
    Json,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Object storage: containers and objects.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Compute: nodes, sizes, images, locations, key pairs and volumes.
    #[command(subcommand)]
    Compute(ComputeCommand),
    /// DNS: zones and records.
    #[command(subcommand)]
    Dns(DnsCommand),
    /// Load balancers and their members.
    #[command(subcommand, name = "lb")]
    Lb(LbCommand),
    /// The providers compiled into this build, their APIs and capabilities.
    Providers {
        /// Also list the providers this version knows but this build left out.
        #[arg(long)]
        all: bool,
    },
    /// Runs commands from a file (or standard input), one per line, in this one process.
    ///
    /// Lines are split like a shell splits words (quotes and backslashes work; variables and
    /// globs do not); blank lines and lines starting with # are skipped. Options given before
    /// `batch` apply to every line that does not set its own. Drivers stay open between lines,
    /// so memory:// clouds keep their state from one line to the next.
    Batch {
        /// The file to read; - or nothing reads standard input.
        file: Option<PathBuf>,
        /// Run the remaining lines after a failure; the exit code is the first failure's.
        #[arg(long)]
        keep_going: bool,
    },
}

impl Command {
    /// The command's name as typed (`storage get`), for messages.
    pub fn label(&self) -> String {
        match self {
            Command::Storage(c) => format!("storage {}", c.name()),
            Command::Compute(c) => format!("compute {}", c.name()),
            Command::Dns(c) => format!("dns {}", c.name()),
            Command::Lb(c) => format!("lb {}", c.name()),
            Command::Providers { .. } => "providers".into(),
            Command::Batch { .. } => "batch".into(),
        }
    }
}

/// Storage commands.
#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Lists containers, or the objects of a container under a prefix.
    Ls {
        /// SCHEME://[CONTAINER[/PREFIX]]; without it, the containers of --provider.
        url: Option<String>,
        /// Group names at this delimiter, as folders: objects directly under the prefix and
        /// one line per common prefix.
        #[arg(long, short = 'd', value_name = "DELIMITER")]
        delimiter: Option<String>,
    },
    /// Makes a container.
    Mb {
        /// SCHEME://CONTAINER.
        url: String,
    },
    /// Removes a container.
    Rb {
        /// SCHEME://CONTAINER.
        url: String,
        /// Delete the container's objects first.
        #[arg(long)]
        force: bool,
    },
    /// Uploads a file, or standard input (-), as an object.
    Put {
        /// The file to send, or - for standard input.
        source: String,
        /// SCHEME://CONTAINER/KEY; a KEY ending in / (or none) takes the file's name.
        url: String,
        #[command(flatten)]
        upload: UploadArgs,
    },
    /// Downloads an object to a file, or to standard output (-).
    Get {
        /// SCHEME://CONTAINER/KEY.
        url: String,
        /// The file to write (a directory takes the object's name), or - for standard output.
        destination: String,
        /// Only these bytes: START-END inclusive, as HTTP (0-99 is the first 100 bytes), or
        /// START- to the end.
        #[arg(long, value_name = "START-END")]
        range: Option<String>,
    },
    /// Copies between any two of: storage URLs, local files, and - (standard input or output),
    /// streaming, without a temporary copy.
    Cp {
        /// SCHEME://CONTAINER/KEY, a file, or - for standard input.
        source: String,
        /// SCHEME://CONTAINER/KEY (a KEY ending in / takes the source's name), a file, or -
        /// for standard output.
        destination: String,
        #[command(flatten)]
        upload: UploadArgs,
    },
    /// Deletes objects.
    Rm {
        /// SCHEME://CONTAINER/KEY, one or more.
        #[arg(required = true)]
        urls: Vec<String>,
        /// Delete every object under each URL's key, taken as a prefix.
        #[arg(long, short = 'r')]
        recursive: bool,
    },
    /// Shows a container's or an object's metadata.
    Stat {
        /// SCHEME://CONTAINER or SCHEME://CONTAINER/KEY.
        url: String,
    },
    /// Prints a URL that reads the object without credentials (presigned or CDN).
    Url {
        /// SCHEME://CONTAINER/KEY.
        url: String,
        /// How long the URL stays valid (30s, 15m, 1h, 7days).
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        expires: std::time::Duration,
    },
}

impl StorageCommand {
    fn name(&self) -> &'static str {
        match self {
            StorageCommand::Ls { .. } => "ls",
            StorageCommand::Mb { .. } => "mb",
            StorageCommand::Rb { .. } => "rb",
            StorageCommand::Put { .. } => "put",
            StorageCommand::Get { .. } => "get",
            StorageCommand::Cp { .. } => "cp",
            StorageCommand::Rm { .. } => "rm",
            StorageCommand::Stat { .. } => "stat",
            StorageCommand::Url { .. } => "url",
        }
    }
}

/// Settings of an object being stored.
#[derive(Debug, Clone, Default, Args)]
pub struct UploadArgs {
    /// Its content type [default: the source's, else guessed from the name].
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// A user metadata entry (repeatable) [default: the source object's, when copying].
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub meta: Vec<(String, String)>,
    /// A canned ACL (private, public-read), for providers that have them.
    #[arg(long)]
    pub acl: Option<String>,
    /// A storage class (STANDARD, GLACIER), for providers that have them.
    #[arg(long)]
    pub storage_class: Option<String>,
}

/// Compute commands.
#[derive(Debug, Subcommand)]
pub enum ComputeCommand {
    /// Lists the nodes.
    Nodes,
    /// Lists the node sizes offered.
    Sizes {
        /// Only those offered in this location.
        #[arg(long)]
        location: Option<String>,
    },
    /// Lists the images offered.
    Images {
        /// Only those offered in this location.
        #[arg(long)]
        location: Option<String>,
    },
    /// Lists the locations.
    Locations,
    /// Lists the registered SSH key pairs.
    Keys,
    /// Creates a node.
    CreateNode {
        /// Its name.
        name: String,
        /// The id of its size.
        #[arg(long)]
        size: String,
        /// The id of its image.
        #[arg(long)]
        image: String,
        /// The id of its location [default: the provider's].
        #[arg(long)]
        location: Option<String>,
        /// An OpenSSH public key file to install as the login.
        #[arg(long, value_name = "FILE", conflicts_with = "password_file")]
        ssh_key: Option<PathBuf>,
        /// A file holding the login password to set (- for standard input).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// A registered key pair to install.
        #[arg(long, value_name = "NAME")]
        key_pair: Option<String>,
        /// A file of user data (cloud-init).
        #[arg(long, value_name = "FILE")]
        user_data: Option<PathBuf>,
        /// A provider-specific setting (repeatable); VALUE is read as JSON when it parses.
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        extra: Vec<(String, String)>,
        /// Where to write a password the provider generates (created with mode 0600). It is
        /// never printed.
        #[arg(long, value_name = "FILE")]
        save_password: Option<PathBuf>,
        /// Wait until the node runs and has an address.
        #[arg(long)]
        wait: bool,
        /// Give up waiting after this long.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        timeout: std::time::Duration,
        /// Time between checks while waiting.
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        interval: std::time::Duration,
    },
    /// Reboots nodes (by id or name).
    Reboot {
        /// Node ids or names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Starts stopped nodes.
    Start {
        /// Node ids or names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Stops nodes without destroying them.
    Stop {
        /// Node ids or names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Destroys nodes.
    Destroy {
        /// Node ids or names.
        #[arg(required = true)]
        nodes: Vec<String>,
    },
    /// Waits until nodes run and have an address, then lists them.
    Wait {
        /// Node ids or names.
        #[arg(required = true)]
        nodes: Vec<String>,
        /// Give up after this long.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        timeout: std::time::Duration,
        /// Time between checks.
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        interval: std::time::Duration,
        /// Wait for a private address rather than a public one.
        #[arg(long)]
        private: bool,
        /// Count IPv6 addresses too.
        #[arg(long)]
        ipv6: bool,
    },
    /// Generates a key pair; its private key goes to a new file, never to the screen.
    CreateKey {
        /// The key pair's name.
        name: String,
        /// Where to write the private key (created with mode 0600; must not exist).
        #[arg(long, value_name = "FILE")]
        private_key_file: PathBuf,
    },
    /// Registers an existing OpenSSH public key.
    ImportKey {
        /// The key pair's name.
        name: String,
        /// The public key file (id_ed25519.pub).
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
    },
    /// Deletes a key pair.
    DeleteKey {
        /// The key pair's name.
        name: String,
    },
    /// Lists the block storage volumes.
    Volumes,
    /// Creates a volume.
    CreateVolume {
        /// Its name.
        name: String,
        /// Its size in GB.
        #[arg(long, value_name = "GB")]
        size: u64,
        /// Its location [default: the provider's].
        #[arg(long)]
        location: Option<String>,
        /// A snapshot id to create it from.
        #[arg(long)]
        snapshot: Option<String>,
        /// A provider-specific setting (repeatable); VALUE is read as JSON when it parses.
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        extra: Vec<(String, String)>,
    },
    /// Destroys a volume.
    DestroyVolume {
        /// The volume's id or name.
        volume: String,
    },
    /// Attaches a volume to a node.
    Attach {
        /// The volume's id or name.
        volume: String,
        /// The node's id or name.
        node: String,
        /// The device to attach at (/dev/vdb) [default: the provider's choice].
        #[arg(long)]
        device: Option<String>,
    },
    /// Detaches a volume from its node.
    Detach {
        /// The volume's id or name.
        volume: String,
    },
}

impl ComputeCommand {
    fn name(&self) -> &'static str {
        match self {
            ComputeCommand::Nodes => "nodes",
            ComputeCommand::Sizes { .. } => "sizes",
            ComputeCommand::Images { .. } => "images",
            ComputeCommand::Locations => "locations",
            ComputeCommand::Keys => "keys",
            ComputeCommand::CreateNode { .. } => "create-node",
            ComputeCommand::Reboot { .. } => "reboot",
            ComputeCommand::Start { .. } => "start",
            ComputeCommand::Stop { .. } => "stop",
            ComputeCommand::Destroy { .. } => "destroy",
            ComputeCommand::Wait { .. } => "wait",
            ComputeCommand::CreateKey { .. } => "create-key",
            ComputeCommand::ImportKey { .. } => "import-key",
            ComputeCommand::DeleteKey { .. } => "delete-key",
            ComputeCommand::Volumes => "volumes",
            ComputeCommand::CreateVolume { .. } => "create-volume",
            ComputeCommand::DestroyVolume { .. } => "destroy-volume",
            ComputeCommand::Attach { .. } => "attach",
            ComputeCommand::Detach { .. } => "detach",
        }
    }
}

/// DNS commands.
#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Lists the zones.
    Zones,
    /// Lists a zone's records.
    Records {
        /// The zone's id or domain.
        zone: String,
        /// Only records of this type.
        #[arg(long = "type", value_name = "TYPE")]
        record_type: Option<String>,
    },
    /// Creates a zone.
    CreateZone {
        /// The domain (example.com).
        domain: String,
        /// The default TTL of its records, in seconds.
        #[arg(long)]
        ttl: Option<u32>,
        /// Make a secondary (slave) zone.
        #[arg(long)]
        slave: bool,
        /// A provider-specific setting (repeatable); VALUE is read as JSON when it parses.
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        extra: Vec<(String, String)>,
    },
    /// Creates a record.
    CreateRecord {
        /// The zone's id or domain.
        zone: String,
        /// The name relative to the zone ("" or @ for the apex).
        name: String,
        /// Its type (A, AAAA, CNAME, MX, TXT, ...).
        #[arg(value_name = "TYPE")]
        record_type: String,
        /// Its value (192.0.2.1, mail.example.com).
        data: String,
        /// Its TTL in seconds.
        #[arg(long)]
        ttl: Option<u32>,
        /// Its priority (MX, SRV).
        #[arg(long)]
        priority: Option<u16>,
        /// A provider-specific setting (repeatable); VALUE is read as JSON when it parses.
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        extra: Vec<(String, String)>,
    },
    /// Changes a record; what is not given stays as it is.
    UpdateRecord {
        /// The zone's id or domain.
        zone: String,
        /// The record's id.
        record: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new type.
        #[arg(long = "type", value_name = "TYPE")]
        record_type: Option<String>,
        /// A new value.
        #[arg(long)]
        data: Option<String>,
        /// A new TTL.
        #[arg(long)]
        ttl: Option<u32>,
        /// A new priority.
        #[arg(long)]
        priority: Option<u16>,
    },
    /// Deletes a record.
    DeleteRecord {
        /// The zone's id or domain.
        zone: String,
        /// The record's id.
        record: String,
    },
    /// Deletes a zone and its records.
    DeleteZone {
        /// The zone's id or domain.
        zone: String,
    },
    /// Prints a zone in BIND zone-file format.
    Export {
        /// The zone's id or domain.
        zone: String,
    },
}

impl DnsCommand {
    fn name(&self) -> &'static str {
        match self {
            DnsCommand::Zones => "zones",
            DnsCommand::Records { .. } => "records",
            DnsCommand::CreateZone { .. } => "create-zone",
            DnsCommand::CreateRecord { .. } => "create-record",
            DnsCommand::UpdateRecord { .. } => "update-record",
            DnsCommand::DeleteRecord { .. } => "delete-record",
            DnsCommand::DeleteZone { .. } => "delete-zone",
            DnsCommand::Export { .. } => "export",
        }
    }
}

/// Load balancer commands.
#[derive(Debug, Subcommand)]
pub enum LbCommand {
    /// Lists the balancers.
    Balancers,
    /// Creates a balancer.
    Create {
        /// Its name.
        name: String,
        /// The port it listens on.
        #[arg(long)]
        port: u16,
        /// Its protocol (see `lb protocols`).
        #[arg(long, default_value = "http")]
        protocol: String,
        /// Its algorithm (see `lb algorithms`).
        #[arg(long, default_value = "round_robin")]
        algorithm: String,
        /// A member to start with, IP:PORT (repeatable).
        #[arg(long = "member", value_name = "IP:PORT")]
        members: Vec<String>,
        /// A provider-specific setting (repeatable); VALUE is read as JSON when it parses.
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
        extra: Vec<(String, String)>,
    },
    /// Destroys a balancer.
    Destroy {
        /// The balancer's id or name.
        balancer: String,
    },
    /// Lists a balancer's members.
    Members {
        /// The balancer's id or name.
        balancer: String,
    },
    /// Adds a member to a balancer: an address, or a compute node with --node.
    Attach {
        /// The balancer's id or name.
        balancer: String,
        /// The member's IP:PORT (or IP, for the balancer's port).
        #[arg(required_unless_present = "node", conflicts_with = "node")]
        member: Option<String>,
        /// A compute node id, for providers that balance by node.
        #[arg(long, value_name = "ID")]
        node: Option<String>,
        /// Its weight, for weighted algorithms.
        #[arg(long)]
        weight: Option<u32>,
    },
    /// Removes a member from a balancer.
    Detach {
        /// The balancer's id or name.
        balancer: String,
        /// The member's id, or its IP:PORT.
        member: String,
    },
    /// Lists the balancing algorithms the provider offers.
    Algorithms,
    /// Lists the protocols a balancer can speak.
    Protocols,
}

impl LbCommand {
    fn name(&self) -> &'static str {
        match self {
            LbCommand::Balancers => "balancers",
            LbCommand::Create { .. } => "create",
            LbCommand::Destroy { .. } => "destroy",
            LbCommand::Members { .. } => "members",
            LbCommand::Attach { .. } => "attach",
            LbCommand::Detach { .. } => "detach",
            LbCommand::Algorithms => "algorithms",
            LbCommand::Protocols => "protocols",
        }
    }
}

/// Parses `KEY=VALUE`; the key must not be empty.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Parses a duration such as `30s`, `15m`, `1h 30m` or `7days`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{text:?} is not a duration: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn key_values_and_durations() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
        assert_eq!(
            parse_duration("90s").unwrap(),
            std::time::Duration::from_secs(90)
        );
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn globals_go_before_or_after_the_command() {
        let a = Cli::try_parse_from(["libcloud", "-o", "json", "compute", "nodes"]).unwrap();
        let b = Cli::try_parse_from(["libcloud", "compute", "nodes", "--output", "json"]).unwrap();
        assert_eq!(a.globals.output, Some(OutputFormat::Json));
        assert_eq!(b.globals.output, Some(OutputFormat::Json));
        assert_eq!(a.command.label(), "compute nodes");
    }
}
