"""Rules that a converted job must satisfy, beyond the types of its fields.

`check_job` returns a list of errors and a list of warnings; it never raises. It
runs on the models built by the converter, where a required field that was
missing or invalid is None (and already reported), so every rule tolerates None.
"""

from __future__ import annotations

import binascii
import ipaddress
import posixpath
import re
from urllib.parse import urlsplit

from modeljob.errors import FieldError
from modeljob.spec.enums import Engine, Network, Publisher, SelectionOperator, StorageSourceType
from modeljob.spec.models import (
    ModelJob,
    ModelJobSpecDocker,
    ModelJobSpecWasm,
    ModelLabelSelectorRequirement,
    ModelNetworkConfig,
    ModelResourceUsageConfig,
    ModelSpec,
    ModelStorageSpec,
)
from modeljob.spec.resources import parse_cpu_millis, parse_gpu_count, parse_size_bytes

# Upper bound on Deal.Concurrency. Each execution becomes one queued task, so an
# unbounded value would let one spec flood the queue.
MAX_DEAL_CONCURRENCY = 1024

# Kubernetes label syntax (k8s.io/apimachinery validation), which Bacalhau's node
# selection applies at scheduling time: a name of at most 63 characters with an
# optional DNS-subdomain prefix of at most 253.
MAX_LABEL_NAME_CHARS = 63
MAX_LABEL_PREFIX_CHARS = 253
_LABEL_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_INTEGER = re.compile(r"[-+]?\d+")

# Bacalhau's domain rule for HTTP networking, anchored here: lower-case DNS labels
# ending in a top-level domain of two letters or more. A leading dot means "any
# subdomain of".
_DOMAIN = re.compile(r"\.?(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]{2,}")

# IPFS content IDs: CIDv0 (base58btc, "Qm" + 44 characters) or CIDv1 in a
# multibase text encoding (base32 "b...", base36 "k...", base58btc "z...", hex "f...").
_CID = re.compile(
    r"Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{20,}|B[A-Z2-7]{20,}|k[0-9a-z]{20,}|z[1-9A-HJ-NP-Za-km-z]{20,}|f[0-9a-f]{20,}"
)
_REPO_SCHEMES = ("http", "https", "ssh", "git", "gitlfs")
# The part of a data: URL before the comma: an optional media type, parameters and ;base64.
_DATA_URL_HEADER = re.compile(
    r"[-\w.+]+/[-\w.+]+(?:;[-\w.+]+=[-\w.+%]+)*(?:;base64)?|(?:;[-\w.+]+=[-\w.+%]+)*(?:;base64)?"
)
_ENV_NAME = re.compile(r"[^=\s\x00]+")


class _Report:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[str] = []

    def error(self, path: str, message: str, value: object = None) -> None:
        self.errors.append(FieldError(path, message, value))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")


def check_job(job: ModelJob) -> tuple[list[FieldError], list[str]]:
    """Check every rule on a converted job; return (errors, warnings)."""
    report = _Report()
    spec = job.spec
    if spec is None:
        return report.errors, report.warnings

    _check_engine(report, spec)
    if spec.resources is not None:
        _check_resources(report, spec.resources)
    if spec.timeout is not None and spec.timeout < 0:
        report.error("Spec.Timeout", "must be 0 or more seconds (0 means the default timeout)", spec.timeout)
    _check_deal(report, spec)
    if spec.network is not None:
        _check_network(report, spec.network)
    for index, selector in enumerate(spec.node_selectors):
        _check_selector(report, selector, f"Spec.NodeSelectors[{index}]")
    _check_publisher(report, spec)
    _check_mounts(report, spec)
    return report.errors, report.warnings


# Engines.


def _check_engine(report: _Report, spec: ModelSpec) -> None:
    docker_set = spec.docker is not None
    wasm_set = spec.wasm is not None

    if spec.engine is Engine.DOCKER:
        if spec.docker is None or spec.docker.image is None:
            report.error("Spec.Docker.Image", "missing; the Docker engine needs an image such as ubuntu:22.04")
    elif docker_set and spec.engine is not None:
        report.error("Spec.Docker", f"set, but Spec.Engine is {spec.engine.value}; remove it or set Engine: Docker")

    if spec.engine is Engine.WASM:
        if spec.wasm is None or spec.wasm.entry_module is None:
            report.error(
                "Spec.Wasm.EntryModule",
                "missing; the Wasm engine needs an entry module, for example an Inline data: URL or a LocalDirectory file",
            )
    elif wasm_set and spec.engine is not None:
        report.error("Spec.Wasm", f"set, but Spec.Engine is {spec.engine.value}; remove it or set Engine: Wasm")

    if spec.docker is not None:
        _check_docker(report, spec.docker)
    if spec.wasm is not None:
        _check_wasm(report, spec.wasm)


def _check_docker(report: _Report, docker: ModelJobSpecDocker) -> None:
    if docker.image is not None and (docker.image != docker.image.strip() or any(c.isspace() for c in docker.image)):
        report.error("Spec.Docker.Image", "an image reference cannot contain whitespace", docker.image)
    if docker.working_directory is not None and not docker.working_directory.startswith("/"):
        report.error(
            "Spec.Docker.WorkingDirectory", "must be an absolute path starting with /", docker.working_directory
        )
    for name in ("entrypoint", "parameters"):
        wire = "Entrypoint" if name == "entrypoint" else "Parameters"
        for index, argument in enumerate(getattr(docker, name)):
            if "\x00" in argument:
                report.error(f"Spec.Docker.{wire}[{index}]", "contains a NUL character", argument)
    for index, entry in enumerate(docker.environment_variables):
        path = f"Spec.Docker.EnvironmentVariables[{index}]"
        name, separator, value = entry.partition("=")
        if not separator:
            report.error(path, "expected KEY=VALUE", entry)
        elif not _ENV_NAME.fullmatch(name):
            report.error(path, "the variable name before = must be non-empty, without spaces or NUL", entry)
        elif "\x00" in value:
            report.error(path, "the value contains a NUL character", entry)


def _check_wasm(report: _Report, wasm: ModelJobSpecWasm) -> None:
    if wasm.entry_module is not None:
        _check_source(report, wasm.entry_module, "Spec.Wasm.EntryModule")
    for index, module in enumerate(wasm.import_modules):
        _check_source(report, module, f"Spec.Wasm.ImportModules[{index}]")
    if wasm.entry_point is not None and (wasm.entry_point.strip() != wasm.entry_point or "\x00" in wasm.entry_point):
        report.error(
            "Spec.Wasm.EntryPoint", "must be the name of an exported function, without spaces or NUL", wasm.entry_point
        )
    for index, argument in enumerate(wasm.parameters):
        if "\x00" in argument:
            report.error(f"Spec.Wasm.Parameters[{index}]", "contains a NUL character", argument)
    for key, value in wasm.environment_variables.items():
        path = f"Spec.Wasm.EnvironmentVariables[{key!r}]"
        if not key:
            report.error("Spec.Wasm.EnvironmentVariables", "a variable name is empty", key)
        elif "\x00" in key or "=" in key:
            report.error(path, "a variable name cannot contain NUL or =", key)
        if "\x00" in value:
            report.error(path, "the value contains a NUL character", value)


# Resources, deal, network, selectors, publisher.


def _check_resources(report: _Report, resources: ModelResourceUsageConfig) -> None:
    for wire, text, parse in (
        ("CPU", resources.cpu, parse_cpu_millis),
        ("Memory", resources.memory, parse_size_bytes),
        ("Disk", resources.disk, parse_size_bytes),
        ("GPU", resources.gpu, parse_gpu_count),
    ):
        try:
            parse(text)
        except ValueError as error:
            report.error(f"Spec.Resources.{wire}", str(error), text)


def _check_deal(report: _Report, spec: ModelSpec) -> None:
    deal = spec.deal
    path = "Spec.Deal.Concurrency"
    if deal.targeting_mode:
        if deal.concurrency > 1:
            report.error(
                path,
                "must be 0 or 1 when TargetingMode is true (the job runs on every matching node)",
                deal.concurrency,
            )
        elif deal.concurrency < 0:
            report.error(path, "cannot be negative", deal.concurrency)
        return
    if deal.concurrency < 1:
        report.error(
            path, "must be at least 1; to run on every matching node set TargetingMode: true instead", deal.concurrency
        )
    elif deal.concurrency > MAX_DEAL_CONCURRENCY:
        report.error(path, f"must be at most {MAX_DEAL_CONCURRENCY}", deal.concurrency)


def _check_network(report: _Report, network: ModelNetworkConfig) -> None:
    if network.domains and network.type is Network.NONE:
        report.error("Spec.Network.Domains", "set, but Network.Type is None; use Type: HTTP to allow these domains")
    elif network.domains and network.type is Network.FULL:
        report.warn("Spec.Network.Domains", "ignored, because Type Full allows every domain")
    for index, domain in enumerate(network.domains):
        problem = _domain_problem(domain)
        if problem:
            report.error(f"Spec.Network.Domains[{index}]", problem, domain)


def _domain_problem(domain: str) -> str | None:
    if _DOMAIN.fullmatch(domain):
        return None
    try:
        ipaddress.ip_address(domain)
        return None
    except ValueError:
        pass
    if "/" in domain:
        try:
            ipaddress.ip_network(domain, strict=False)
            return "CIDR ranges are not supported; list single IP addresses or domain names"
        except ValueError:
            pass
    if domain.lower() != domain and _DOMAIN.fullmatch(domain.lower()):
        return f"domains must be lower case; write {domain.lower()!r}"
    return (
        "invalid domain; expected a DNS name such as example.com, .example.com for all its subdomains, or an IP address"
    )


def _check_selector(report: _Report, selector: ModelLabelSelectorRequirement, path: str) -> None:
    if selector.key is not None:
        problem = _label_key_problem(selector.key)
        if problem:
            report.error(f"{path}.Key", problem, selector.key)

    operator = selector.operator
    values = selector.values
    if operator in (SelectionOperator.IN, SelectionOperator.NOT_IN):
        if not values:
            report.error(f"{path}.Values", f"operator {operator.value!r} needs at least one value")
    elif operator in (SelectionOperator.EQUALS, SelectionOperator.DOUBLE_EQUALS, SelectionOperator.NOT_EQUALS):
        if len(values) != 1:
            report.error(
                f"{path}.Values", f"operator {operator.value!r} needs exactly one value, got {len(values)}", values
            )
    elif operator in (SelectionOperator.EXISTS, SelectionOperator.DOES_NOT_EXIST):
        if values:
            report.error(f"{path}.Values", f"operator {operator.value!r} takes no values", values)
    elif operator in (SelectionOperator.GREATER_THAN, SelectionOperator.LESS_THAN):
        if len(values) != 1:
            report.error(
                f"{path}.Values", f"operator {operator.value!r} needs exactly one value, got {len(values)}", values
            )
        elif not _INTEGER.fullmatch(values[0]):
            report.error(
                f"{path}.Values[0]", f"operator {operator.value!r} compares integers; the value must be one", values[0]
            )
            return

    for index, value in enumerate(values):
        if len(value) > MAX_LABEL_NAME_CHARS or (value and not _LABEL_NAME.fullmatch(value)):
            report.error(
                f"{path}.Values[{index}]",
                "invalid label value: at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit",
                value,
            )


def _label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if not name:
        return "invalid label key: the name part is empty"
    if len(name) > MAX_LABEL_NAME_CHARS or not _LABEL_NAME.fullmatch(name):
        return "invalid label key: the name must be at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit"
    if slash and (not prefix or len(prefix) > MAX_LABEL_PREFIX_CHARS or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return "invalid label key: the prefix before / must be a lower-case DNS subdomain"
    return None


def _check_publisher(report: _Report, spec: ModelSpec) -> None:
    publisher_spec = spec.publisher_spec
    if publisher_spec is None or publisher_spec.type is not Publisher.S3:
        return
    present = {key.replace("_", "").lower() for key, value in publisher_spec.params.items() if value}
    for required in ("Bucket", "Key"):
        if required.lower() not in present:
            report.error(f"Spec.PublisherSpec.Params.{required}", f"missing; the S3 publisher needs Params.{required}")


# Storage sources and mounts.


def _check_mounts(report: _Report, spec: ModelSpec) -> None:
    mounts: dict[str, str] = {}
    for index, spec_input in enumerate(spec.inputs):
        path = f"Spec.Inputs[{index}]"
        _check_source(report, spec_input, path)
        if spec_input.path is None:
            report.error(f"{path}.Path", "missing; the mount point inside the job, such as /inputs")
        else:
            _check_mount_path(report, spec_input.path, f"{path}.Path", mounts)

    output_names: dict[str, str] = {}
    for index, output in enumerate(spec.outputs):
        path = f"Spec.Outputs[{index}]"
        _check_output_name(report, output.name, f"{path}.Name", output_names)
        if output.path is None:
            report.error(
                f"{path}.Path", "missing; the folder inside the job whose contents are published, such as /outputs"
            )
        else:
            _check_mount_path(report, output.path, f"{path}.Path", mounts)


def _check_output_name(report: _Report, name: str | None, path: str, seen: dict[str, str]) -> None:
    if name is None:
        report.error(path, "missing; an output needs a Name, which names its folder in the results")
        return
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        report.error(path, "must be a plain folder name, without / or \\, and not . or ..", name)
        return
    if name in seen:
        report.error(path, f"duplicate output name; {seen[name]} already uses it", name)
        return
    seen[name] = path


def _check_mount_path(report: _Report, mount: str, path: str, mounts: dict[str, str]) -> None:
    if not mount.startswith("/"):
        report.error(path, "must be an absolute path starting with /", mount)
        return
    if ".." in mount.split("/"):
        report.error(path, "must not contain .. segments", mount)
        return
    if "\x00" in mount:
        report.error(path, "contains a NUL character", mount)
        return
    normalised = posixpath.normpath(mount)
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    if normalised == "/":
        report.error(path, "cannot mount over the root folder /; use a folder such as /inputs", mount)
        return
    if normalised in mounts:
        report.error(path, f"{normalised} is already the mount point of {mounts[normalised]}; use another path", mount)
        return
    mounts[normalised] = path


def _check_source(report: _Report, storage: ModelStorageSpec, path: str) -> None:
    source = storage.storage_source
    if source is None:
        choices = ", ".join(member.value for member in StorageSourceType)
        report.error(f"{path}.StorageSource", f"missing; set one of {choices}")
        return

    if source in (StorageSourceType.IPFS, StorageSourceType.ESTUARY):
        if storage.cid is None:
            report.error(f"{path}.CID", f"missing; {source.value} data is addressed by its content ID")
        elif not _CID.fullmatch(storage.cid):
            report.error(
                f"{path}.CID", "not an IPFS CID; expected CIDv0 (Qm...) or CIDv1 (such as bafy...)", storage.cid
            )
    elif source is StorageSourceType.URL_DOWNLOAD:
        _check_download_url(report, storage.url, f"{path}.URL")
    elif source is StorageSourceType.S3:
        if storage.s3 is None or storage.s3.bucket is None:
            report.error(f"{path}.S3.Bucket", "missing; S3 data needs at least a Bucket (and usually a Key)")
    elif source is StorageSourceType.INLINE:
        _check_data_url(report, storage.url, f"{path}.URL")
    elif source is StorageSourceType.LOCAL_DIRECTORY:
        if storage.source_path is None:
            report.error(f"{path}.SourcePath", "missing; LocalDirectory needs the host folder to mount")
        elif not storage.source_path.startswith("/"):
            report.error(f"{path}.SourcePath", "must be an absolute host path starting with /", storage.source_path)
    elif source in (StorageSourceType.REPO_CLONE, StorageSourceType.REPO_CLONE_LFS):
        _check_repo_url(report, storage.repo, f"{path}.Repo")


def _check_download_url(report: _Report, url: str | None, path: str) -> None:
    if url is None:
        report.error(path, "missing; URLDownload needs an http or https URL")
        return
    parts = urlsplit(url) if url.isprintable() else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        report.error(path, "must be an http or https URL, such as https://example.com/data.csv", url)
        return
    if not parts.path or parts.path.endswith("/"):
        # Bacalhau saves the download under the last segment of the URL path.
        report.error(path, "must end in a file name, such as https://example.com/data.csv", url)


def _check_data_url(report: _Report, url: str | None, path: str) -> None:
    if url is None:
        report.error(path, "missing; Inline data is given as a data: URL")
        return
    if not url[:5].lower() == "data:" or "," not in url:
        report.error(path, "must be a data: URL (RFC 2397), such as data:text/plain;base64,SGVsbG8=", url)
        return
    header, _, payload = url[5:].partition(",")
    if not _DATA_URL_HEADER.fullmatch(header):
        report.error(path, "invalid data: URL header; expected data:[media type][;base64],DATA", url)
        return
    if header.endswith(";base64"):
        try:
            # Go's base64 decoder skips line breaks, and one corpus file has one.
            unwrapped = payload.replace("\r", "").replace("\n", "")
            binascii.a2b_base64(unwrapped.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            report.error(path, "the base64 data after the comma is invalid", url)


def _check_repo_url(report: _Report, repo: str | None, path: str) -> None:
    if repo is None:
        report.error(path, "missing; RepoClone needs the URL of a Git repository")
        return
    parts = urlsplit(repo) if repo.isprintable() else None
    if parts is None or parts.scheme.lower() not in _REPO_SCHEMES or not parts.netloc:
        schemes = ", ".join(f"{scheme}://" for scheme in _REPO_SCHEMES)
        report.error(path, f"must be a repository URL starting with one of {schemes}", repo)
