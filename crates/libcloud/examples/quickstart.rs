//! A tour of the uniform API with no credentials and no network: storage on a local folder,
//! compute, DNS and a load balancer in memory.
//!
//! ```text
//! cargo run -p libcloud --example quickstart              # storage in a new temporary folder
//! cargo run -p libcloud --example quickstart -- memory:// # or any storage URL
//! ```

use std::time::Duration;

use futures::TryStreamExt;
use libcloud::prelude::*;

#[tokio::main]
async fn main() -> Result<()> {
    let storage_url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let dir =
                std::env::temp_dir().join(format!("libcloud-quickstart-{}", std::process::id()));
            format!("local://{}", dir.display())
        }
    };

    println!("== Storage ({storage_url})");
    let storage = libcloud::registry::storage(&storage_url)?;
    let container = "quickstart";
    match storage.create_container(container).await {
        Ok(_) => println!("created container {container:?}"),
        Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists { .. }) => {
            println!("container {container:?} is already there")
        }
        Err(e) => return Err(e),
    }

    // Stream a "file" up in chunks, as a real upload from disk or network would arrive.
    let chunks: Vec<Result<Bytes>> = (0..8)
        .map(|i| {
            Ok(Bytes::from(format!(
                "line {i}: the quick brown fox jumps over the lazy dog\n"
            )))
        })
        .collect();
    let body = libcloud::body::byte_stream(futures::stream::iter(chunks));
    let object = storage
        .upload_object_via_stream(
            container,
            "notes/fox.txt",
            body,
            &UploadOptions::default().meta("purpose", "quickstart"),
        )
        .await?;
    println!(
        "uploaded {}/{}: {} bytes, content type {}, md5 {}",
        object.container,
        object.name,
        object.size,
        object.content_type.as_deref().unwrap_or("?"),
        object.hash.as_deref().unwrap_or("?")
    );
    storage
        .upload_bytes(
            container,
            "readme.txt",
            Bytes::from_static(b"hello\n"),
            &UploadOptions::default(),
        )
        .await?;

    println!("objects in {container:?}:");
    let mut listing = storage.iterate_container_objects(container, None);
    while let Some(o) = listing.try_next().await? {
        println!("  {:<16} {:>5} bytes", o.name, o.size);
    }
    drop(listing);

    let range = storage
        .download_object_range_as_stream(container, "notes/fox.txt", 8, Some(43))
        .await?;
    let bytes: Vec<Bytes> = range.try_collect().await?;
    println!(
        "bytes 8..43 of notes/fox.txt: {:?}",
        String::from_utf8_lossy(&bytes.concat())
    );

    println!("\n== Compute (memory://)");
    let compute = libcloud::registry::compute("memory://")?;
    let size = compute
        .list_sizes(None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::malformed("no sizes"))?;
    let image = compute
        .list_images(None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::malformed("no images"))?;
    println!(
        "size {} ({} MiB RAM), image {}",
        size.id, size.ram_mb, image.name
    );
    let node = compute
        .create_node(&CreateNode::new("web-1", &size.id, &image.id))
        .await?;
    println!(
        "created node {} ({}), state {}",
        node.name, node.id, node.state
    );
    print!("waiting until it runs... ");
    let ready = compute
        .wait_until_running(
            std::slice::from_ref(&node),
            WaitOptions {
                poll_interval: Duration::from_millis(200),
                timeout: Duration::from_secs(30),
                ..WaitOptions::default()
            },
        )
        .await?;
    for (node, ips) in &ready {
        println!(
            "{} is {} at {}",
            node.name,
            node.state,
            ips.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    println!("\n== Load balancer (memory://)");
    let lb = libcloud::registry::load_balancer("memory://")?;
    let balancer = lb
        .create_balancer(&CreateBalancer::new("web", 80, "http"))
        .await?;
    let member = lb
        .balancer_attach_compute_node(&balancer, &ready[0].0)
        .await?;
    println!(
        "balancer {} on port {} sends traffic to {}:{}",
        balancer.name,
        balancer.port,
        member.ip.as_deref().unwrap_or("?"),
        member.port.unwrap_or(balancer.port)
    );

    println!("\n== DNS (memory://)");
    let dns = libcloud::registry::dns("memory://")?;
    let zone = dns
        .create_zone(&CreateZone::new("example.com").ttl(3600))
        .await?;
    let web_ip = ready[0].1[0].to_string();
    dns.create_records(
        &zone,
        &[
            RecordSpec::new("www", RecordType::A, web_ip),
            RecordSpec::new("", RecordType::Mx, "mail.example.com").priority(10),
            RecordSpec::new("", RecordType::Txt, "v=spf1 mx -all").ttl(300),
        ],
    )
    .await?;
    println!("zone {} in BIND format:\n", zone.domain);
    print!("{}", dns.export_zone_to_bind_format(&zone).await?);
    Ok(())
}
