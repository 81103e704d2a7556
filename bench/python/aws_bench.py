#!/usr/bin/env python3
"""One AWS benchmark run on moto with Apache Libcloud or boto3: one operation, one process.

It takes the same flags as the Rust benchmark binary's AWS operations (``--client libcloud-py``
or ``--client boto3``) and prints the same line of JSON: the seconds the operation took, the
items it handled and the process's peak resident set (``VmHWM`` from ``/proc/self/status``).

Apache Libcloud 3.9.1's EC2, Route 53 and ELB drivers do not talk to moto as shipped. This
script changes, at run time and only in this process, the least that makes them work:

- EC2: the driver is built with ``signature_version="4"`` (it signs with SigV2 by default;
  moto routes by the service in the SigV4 credential scope and sends anything else to S3),
  and the module's ``NAMESPACE`` loses its final slash, as moto writes it (real EC2 has the
  slash; Libcloud matches the namespace exactly and otherwise finds no instances at all).
- ELB: the requests go to ``/`` instead of ``/2012-06-01/`` (the module's ``ROOT``), and the
  driver is built with the server's host and port (its constructor always names AWS's host).
- Route 53: the driver speaks API 2012-02-29 and signs with the retired ``AWS3-HTTPS`` scheme;
  moto answers only 2013-04-01 and routes by SigV4. The module's ``API_ROOT`` and
  ``NAMESPACE`` are set to 2013-04-01 (the requests and answers it builds and reads have the
  same shape there), and the driver's connection class is replaced by Libcloud's own SigV4
  connection (``SignedAWSConnection``) with service ``route53`` in ``us-east-1``.

Libcloud has no way to create many records in one request, so it has no ``dns-create-batch``.
"""

import argparse
import json
import os
import sys
import time
from urllib.parse import urlparse

IMAGE = "ami-12c6146b"
INSTANCE_TYPE = "t2.micro"
LIST_ZONE = "list.bench.example"
R53_NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"
BATCH = 1000


def records(count):
    """The A records the record operations create: the same as the Rust clients'."""
    return [
        ("r%04d" % i, "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
        for i in range(count)
    ]


def zone_name(name):
    label = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in name)
    return "%s.bench.example" % label


def balancer_name(name):
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in name)[:32].strip("-")


class LibcloudClient:
    """Apache Libcloud's EC2, Route 53 and ELB drivers, patched as the module says."""

    def __init__(self, args):
        from libcloud.common.aws import SignedAWSConnection
        from libcloud.compute.drivers import ec2 as ec2_module
        from libcloud.dns.drivers import route53
        from libcloud.loadbalancer import base as lb_base
        from libcloud.loadbalancer.drivers import elb

        url = urlparse(args.endpoint)
        host, port = url.hostname, url.port
        ec2_module.NAMESPACE = ec2_module.NAMESPACE.rstrip("/")
        self.ec2 = ec2_module.EC2NodeDriver(
            args.access_key,
            args.secret_key,
            secure=False,
            host=host,
            port=port,
            region=args.region,
            signature_version="4",
        )

        route53.API_ROOT = "/2013-04-01/"
        route53.NAMESPACE = R53_NAMESPACE
        route53.Route53DNSResponse.namespace = R53_NAMESPACE

        class Route53SigV4Connection(SignedAWSConnection):
            service_name = "route53"
            version = "2013-04-01"
            responseCls = route53.Route53DNSResponse

            def __init__(self, *a, **kw):
                kw["signature_version"] = "4"
                super().__init__(*a, **kw)

        class Route53OnMoto(route53.Route53DNSDriver):
            connectionCls = Route53SigV4Connection
            region_name = "us-east-1"

        self.dns = Route53OnMoto(args.access_key, args.secret_key, secure=False, host=host, port=port)

        elb.ROOT = "/"

        class ElbOnMoto(elb.ElasticLBDriver):
            def __init__(self, key, secret, region):
                self.token = None
                self.region = region
                self.region_name = region
                lb_base.Driver.__init__(
                    self, key, secret, secure=False, host=host, port=port, region=region
                )

        self.elb = ElbOnMoto(args.access_key, args.secret_key, args.region)
        self.nodes = {}
        self.zones = {}
        self.balancers = {}

    def list_instances(self):
        return len(self.ec2.list_nodes())

    def instance_ids(self, count):
        nodes = self.ec2.list_nodes()[:count]
        self.nodes.update((n.id, n) for n in nodes)
        return [n.id for n in nodes]

    def create_instance(self, name):
        from libcloud.compute.base import NodeImage, NodeSize

        size = NodeSize(INSTANCE_TYPE, INSTANCE_TYPE, 0, 0, None, None, self.ec2)
        image = NodeImage(IMAGE, IMAGE, self.ec2)
        node = self.ec2.create_node(name=name, size=size, image=image)
        self.nodes[node.id] = node
        return node.id

    def reboot_instance(self, node_id):
        # moto's answer lacks ``<return>true</return>``, so Libcloud returns False here; a
        # refused request would have raised.
        self.ec2.reboot_node(self.nodes[node_id])

    def create_zone(self, domain):
        zone = self.dns.create_zone(domain)
        self.zones[zone.id] = zone
        return zone.id

    def find_zone(self, domain):
        for zone in self.dns.list_zones():
            if zone.domain.rstrip(".") == domain:
                self.zones[zone.id] = zone
                return zone.id
        raise RuntimeError("no zone %s" % domain)

    def create_record(self, zone_id, name, ip):
        from libcloud.dns.types import RecordType

        self.dns.create_record(name, self.zones[zone_id], RecordType.A, ip, extra={"ttl": 300})

    def create_records(self, zone_id, items):
        raise RuntimeError("Apache Libcloud has no call that creates many records at once")

    def list_records(self, zone_id):
        return sum(1 for r in self.dns.list_records(self.zones[zone_id]) if r.type == "A")

    def create_balancer(self, name):
        from libcloud.loadbalancer.base import Algorithm

        self.balancers[name] = self.elb.create_balancer(
            name, 80, "http", Algorithm.ROUND_ROBIN, []
        )

    def attach_instance(self, balancer, node_id):
        # Libcloud's ELB driver attaches instances only as compute nodes
        # (RegisterInstancesWithLoadBalancer); its balancer_attach_member is not implemented.
        self.elb.balancer_attach_compute_node(self.balancers[balancer], self.nodes[node_id])

    def balancer_members(self, balancer):
        return len(self.elb.balancer_list_members(self.elb.get_balancer(balancer)))


class Boto3Client:
    """boto3 with its defaults, sending the same requests as the raw Rust client."""

    def __init__(self, args):
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=args.access_key,
            aws_secret_access_key=args.secret_key,
            region_name=args.region,
        )
        self.ec2 = session.client("ec2", endpoint_url=args.endpoint)
        self.r53 = session.client("route53", endpoint_url=args.endpoint, region_name="us-east-1")
        self.elb = session.client("elb", endpoint_url=args.endpoint)
        self.region = args.region
        self.domains = {}

    def _describe(self):
        ids, token = [], None
        while True:
            kwargs = {"MaxResults": 1000}
            if token:
                kwargs["NextToken"] = token
            page = self.ec2.describe_instances(**kwargs)
            for reservation in page["Reservations"]:
                ids.extend(i["InstanceId"] for i in reservation["Instances"])
            token = page.get("NextToken")
            if not token:
                return ids

    def list_instances(self):
        ids = self._describe()
        self.ec2.describe_addresses()
        return len(ids)

    def instance_ids(self, count):
        return self._describe()[:count]

    def create_instance(self, name):
        answer = self.ec2.run_instances(
            ImageId=IMAGE,
            InstanceType=INSTANCE_TYPE,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
            ClientToken="%s-%d" % (name, os.getpid()),
        )
        return answer["Instances"][0]["InstanceId"]

    def reboot_instance(self, node_id):
        self.ec2.reboot_instances(InstanceIds=[node_id])

    def create_zone(self, domain):
        answer = self.r53.create_hosted_zone(
            Name=domain + ".", CallerReference="%s-%d" % (domain, os.getpid())
        )
        zone_id = answer["HostedZone"]["Id"].replace("/hostedzone/", "")
        self.domains[zone_id] = domain
        return zone_id

    def find_zone(self, domain):
        answer = self.r53.list_hosted_zones_by_name(DNSName=domain + ".", MaxItems="1")
        for zone in answer["HostedZones"]:
            if zone["Name"] == domain + ".":
                zone_id = zone["Id"].replace("/hostedzone/", "")
                self.domains[zone_id] = domain
                return zone_id
        raise RuntimeError("no zone %s" % domain)

    def _change(self, zone_id, items):
        domain = self.domains[zone_id]
        self.r53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": "%s.%s." % (name, domain),
                            "Type": "A",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": ip}],
                        },
                    }
                    for name, ip in items
                ]
            },
        )

    def create_record(self, zone_id, name, ip):
        self._change(zone_id, [(name, ip)])

    def create_records(self, zone_id, items):
        for start in range(0, len(items), BATCH):
            self._change(zone_id, items[start : start + BATCH])

    def list_records(self, zone_id):
        count, kwargs = 0, {"HostedZoneId": zone_id}
        while True:
            page = self.r53.list_resource_record_sets(**kwargs)
            count += sum(1 for s in page["ResourceRecordSets"] if s["Type"] == "A")
            if not page.get("IsTruncated"):
                return count
            kwargs["StartRecordName"] = page["NextRecordName"]
            kwargs["StartRecordType"] = page["NextRecordType"]

    def create_balancer(self, name):
        self.elb.create_load_balancer(
            LoadBalancerName=name,
            Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
            AvailabilityZones=[self.region + "a"],
        )

    def attach_instance(self, balancer, node_id):
        self.elb.register_instances_with_load_balancer(
            LoadBalancerName=balancer, Instances=[{"InstanceId": node_id}]
        )

    def balancer_members(self, balancer):
        answer = self.elb.describe_load_balancers(LoadBalancerNames=[balancer])
        return len(answer["LoadBalancerDescriptions"][0]["Instances"])


def run(args, client):
    """Runs the operation; returns (seconds, items)."""
    count = args.count
    if args.op == "ec2-list":
        started = time.perf_counter()
        listed = client.list_instances()
        elapsed = time.perf_counter() - started
        if count is not None and listed != count:
            raise RuntimeError("listed %d instances, expected %d" % (listed, count))
        return elapsed, listed
    if args.op == "ec2-create-reboot":
        started = time.perf_counter()
        for i in range(count):
            client.reboot_instance(client.create_instance("%s-%03d" % (args.name, i)))
        return time.perf_counter() - started, count
    if args.op in ("dns-create-each", "dns-create-batch"):
        zone = client.create_zone(zone_name(args.name))
        wanted = records(count)
        started = time.perf_counter()
        if args.op == "dns-create-each":
            for name, ip in wanted:
                client.create_record(zone, name, ip)
        else:
            client.create_records(zone, wanted)
        elapsed = time.perf_counter() - started
        listed = client.list_records(zone)
        if listed != count:
            raise RuntimeError("%d A records in the zone after creating %d" % (listed, count))
        return elapsed, count
    if args.op == "dns-list":
        zone = client.find_zone(LIST_ZONE)
        started = time.perf_counter()
        listed = client.list_records(zone)
        elapsed = time.perf_counter() - started
        if count is not None and listed != count:
            raise RuntimeError("listed %d A records, expected %d" % (listed, count))
        return elapsed, listed
    if args.op == "elb-attach":
        balancer = balancer_name(args.name)
        ids = client.instance_ids(count)
        if len(ids) < count:
            raise RuntimeError("only %d instances to attach, not %d" % (len(ids), count))
        client.create_balancer(balancer)
        started = time.perf_counter()
        for node_id in ids:
            client.attach_instance(balancer, node_id)
        elapsed = time.perf_counter() - started
        members = client.balancer_members(balancer)
        if members != count:
            raise RuntimeError("%d members after attaching %d" % (members, count))
        return elapsed, count
    raise RuntimeError("unsupported operation %r" % args.op)


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", required=True, choices=["libcloud-py", "boto3"])
    parser.add_argument("--op", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--name", default="run-%d" % os.getpid())
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.op != "ec2-list" and args.op != "dns-list" and args.count is None:
        parser.error("--count is required for %s" % args.op)
    try:
        client = (LibcloudClient if args.client == "libcloud-py" else Boto3Client)(args)
        seconds, items = run(args, client)
    except Exception as e:  # one line on stderr and a non-zero exit, like the Rust client
        print("aws_bench.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "client": args.client,
                "op": args.op,
                "seconds": round(seconds, 6),
                "items": items,
                "bytes": 0,
                "peak_rss_kib": peak_rss_kib(),
            },
            separators=(",", ":"),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
