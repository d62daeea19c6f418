//! The `verge` binary: command-line parsing, logging set-up, and handing over to the edge.

mod cli;
mod demo;
mod function;
mod geo;
mod serve;
mod waf;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, FunctionCommand, GeoCommand, LogStyle, WafCommand};

// The request path allocates small, short-lived objects across threads; mimalloc serves them
// with less contention and overhead than the system allocator (measured with bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    if let Command::Validate { config } = &cli.command {
        return if serve::validate(config) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if let Command::Geo(GeoCommand::ImportAsnCsv { out, csv }) = &cli.command {
        return match geo::import_asn_csv(out, csv) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("verge: {error}");
                ExitCode::from(1)
            }
        };
    }
    if let Command::Function(FunctionCommand::Test {
        function,
        event,
        kvs,
        now,
        event_type,
        pop,
        json,
    }) = &cli.command
    {
        let args = function::TestArgs {
            function,
            event,
            kvs,
            now: now.as_deref(),
            event_type: event_type.as_deref(),
            pop,
            json: *json,
        };
        return match function::run(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(error) => {
                eprintln!("verge: {error}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Waf(command) = &cli.command {
        let result = match command {
            WafCommand::Test {
                acl,
                request,
                client_ip,
                country,
                json,
            } => waf::test(&waf::TestArgs {
                acl,
                request,
                client_ip: *client_ip,
                country: country.as_deref(),
                json: *json,
            }),
            WafCommand::Replay { acl, log, limit } => waf::replay(acl, log, *limit),
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("verge: {error}");
                ExitCode::from(2)
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("verge: cannot start the runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::serve(*args).await.map_err(|e| e.to_string()),
            Command::Demo(args) => demo::run(args).await.map_err(|e| e.to_string()),
            Command::Validate { .. } | Command::Geo(_) | Command::Function(_) | Command::Waf(_) => {
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("verge: {error}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(cli: &Cli) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cli.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogStyle::Text => builder.init(),
        LogStyle::Json => builder.json().init(),
    }
}
