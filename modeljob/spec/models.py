"""Pydantic models of a v1beta1 `ModelJob`.

Attribute names are the SDK's snake_case names and aliases are the wire keys
(PascalCase, as Bacalhau's Go struct tags spell them). Build jobs with
`modeljob.spec.parse_job`, which accepts every spelling clients use and checks the
rules; constructing these classes directly only checks types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_serializer

from modeljob.spec.enums import Engine, Network, Publisher, SelectionOperator, StorageSourceType
from modeljob.spec.resources import parse_cpu_millis, parse_gpu_count, parse_size_bytes

# Bacalhau's wire name of the only API version whose schema this package implements.
API_VERSION = "V1beta1"


def is_empty(value: Any) -> bool:
    """Tell whether a dumped value is unset: None, False, or an empty string, list or dict."""
    if value is None or value is False:
        return True
    return isinstance(value, (str, list, dict)) and not value


class WireModel(BaseModel):
    """Base class: wire aliases on input and output, unknown keys rejected."""

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        use_enum_values=False,
    )

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: Any) -> dict[str, Any]:
        # One canonical form: a field that is unset, empty or false is left out, so
        # that `{}` and a section full of empty strings dump the same way.
        dumped = handler(self)
        return {key: value for key, value in dumped.items() if not is_empty(value)}


class ModelS3StorageSpec(WireModel):
    """Location of an object, a prefix (`dir/`) or a glob (`prefix*`) in an S3 bucket."""

    bucket: str | None = Field(default=None, alias="Bucket")
    key: str | None = Field(default=None, alias="Key")
    checksum: str | None = Field(default=None, alias="Checksum", description="SHA-256 checksum, verified when given")
    version_id: str | None = Field(default=None, alias="VersionID")
    endpoint: str | None = Field(default=None, alias="Endpoint")
    region: str | None = Field(default=None, alias="Region")


class ModelStorageSpec(WireModel):
    """An input, an output or a Wasm module: where the data lives and where it is mounted."""

    storage_source: StorageSourceType | None = Field(default=None, alias="StorageSource")
    name: str | None = Field(default=None, alias="Name")
    cid: str | None = Field(default=None, alias="CID", description="IPFS content ID")
    url: str | None = Field(default=None, alias="URL", description="http(s) URL, or a data: URL for Inline")
    s3: ModelS3StorageSpec | None = Field(default=None, alias="S3")
    repo: str | None = Field(default=None, alias="Repo", description="Git repository URL for RepoClone")
    source_path: str | None = Field(default=None, alias="SourcePath", description="host path for LocalDirectory")
    read_write: bool = Field(default=False, alias="ReadWrite")
    path: str | None = Field(default=None, alias="Path", description="absolute mount point inside the job")
    metadata: dict[str, str] = Field(default_factory=dict, alias="Metadata")


class ModelJobSpecDocker(WireModel):
    """What the Docker engine runs."""

    image: str | None = Field(default=None, alias="Image")
    entrypoint: list[str] = Field(default_factory=list, alias="Entrypoint")
    parameters: list[str] = Field(default_factory=list, alias="Parameters")
    environment_variables: list[str] = Field(
        default_factory=list, alias="EnvironmentVariables", description="entries of the form KEY=VALUE"
    )
    working_directory: str | None = Field(default=None, alias="WorkingDirectory")


class ModelJobSpecWasm(WireModel):
    """What the Wasm engine runs."""

    entry_module: ModelStorageSpec | None = Field(default=None, alias="EntryModule")
    # None means the engine's default entry point, `_start`.
    entry_point: str | None = Field(default=None, alias="EntryPoint")
    parameters: list[str] = Field(default_factory=list, alias="Parameters", description="argv[1:] of the module")
    environment_variables: dict[str, str] = Field(default_factory=dict, alias="EnvironmentVariables")
    import_modules: list[ModelStorageSpec] = Field(default_factory=list, alias="ImportModules")


class ModelResourceUsageConfig(WireModel):
    """Resources a job requests, as the strings sent on the wire.

    The `*_millis`, `*_bytes` and `*_count` properties return the parsed amounts,
    or None when the field is unset or zero (Bacalhau treats zero as unspecified).
    """

    cpu: str | None = Field(default=None, alias="CPU", description="cores (0.5, 2) or millicores (500m)")
    memory: str | None = Field(default=None, alias="Memory", description="bytes with a binary unit (512Mi, 2Gb)")
    disk: str | None = Field(default=None, alias="Disk", description="bytes with a binary unit (10Gi)")
    gpu: str | None = Field(default=None, alias="GPU", description="whole number of GPUs")

    @property
    def cpu_millis(self) -> int | None:
        return parse_cpu_millis(self.cpu) or None

    @property
    def memory_bytes(self) -> int | None:
        return parse_size_bytes(self.memory) or None

    @property
    def disk_bytes(self) -> int | None:
        return parse_size_bytes(self.disk) or None

    @property
    def gpu_count(self) -> int | None:
        return parse_gpu_count(self.gpu) or None


class ModelNetworkConfig(WireModel):
    """Network access of a job; `Domains` lists what HTTP networking may reach."""

    type: Network = Field(default=Network.NONE, alias="Type")
    domains: list[str] = Field(default_factory=list, alias="Domains")

    @model_serializer(mode="wrap")
    def _keep_type(self, handler: Any) -> dict[str, Any]:
        # `Type` is dumped even when None so that the section is never empty.
        dumped = handler(self)
        return {key: value for key, value in dumped.items() if key == "Type" or not is_empty(value)}


class ModelDeal(WireModel):
    """How many nodes run the job: `Concurrency` of them, or every match with `TargetingMode`."""

    concurrency: int = Field(default=1, alias="Concurrency")
    targeting_mode: bool = Field(default=False, alias="TargetingMode")

    @model_serializer(mode="wrap")
    def _keep_concurrency(self, handler: Any) -> dict[str, Any]:
        dumped = handler(self)
        if not self.targeting_mode:
            dumped.pop("TargetingMode", None)
        return dumped


class ModelPublisherSpec(WireModel):
    """Publisher of the results and its parameters (for S3: Bucket, Key, Endpoint, Region)."""

    type: Publisher | None = Field(default=None, alias="Type")
    params: dict[str, Any] = Field(default_factory=dict, alias="Params")


class ModelLabelSelectorRequirement(WireModel):
    """One node selector: a label key, an operator and the values it compares with."""

    key: str = Field(alias="Key")
    operator: SelectionOperator = Field(alias="Operator")
    values: list[str] = Field(default_factory=list, alias="Values")


class ModelSpec(WireModel):
    """What to run, with which data and resources, and where to publish it."""

    engine: Engine = Field(alias="Engine")
    # Deprecated in Bacalhau; kept equal to `publisher_spec.type` after parsing.
    publisher: Publisher | None = Field(default=None, alias="Publisher")
    publisher_spec: ModelPublisherSpec | None = Field(default=None, alias="PublisherSpec")
    docker: ModelJobSpecDocker | None = Field(default=None, alias="Docker")
    wasm: ModelJobSpecWasm | None = Field(default=None, alias="Wasm")
    resources: ModelResourceUsageConfig | None = Field(default=None, alias="Resources")
    network: ModelNetworkConfig | None = Field(default=None, alias="Network")
    timeout: int | None = Field(
        default=None, alias="Timeout", ge=0, description="seconds; 0 or unset means the default"
    )
    inputs: list[ModelStorageSpec] = Field(default_factory=list, alias="Inputs")
    outputs: list[ModelStorageSpec] = Field(default_factory=list, alias="Outputs")
    annotations: list[str] = Field(default_factory=list, alias="Annotations")
    node_selectors: list[ModelLabelSelectorRequirement] = Field(default_factory=list, alias="NodeSelectors")
    do_not_track: bool = Field(default=False, alias="DoNotTrack")
    deal: ModelDeal = Field(default_factory=ModelDeal, alias="Deal")


class ModelJobRequester(WireModel):
    """The requester node that accepted the job."""

    requester_node_id: str | None = Field(default=None, alias="RequesterNodeID")
    requester_public_key: str | None = Field(default=None, alias="RequesterPublicKey")


class ModelMetadata(WireModel):
    """Fields the service sets when it accepts a job: ID, creation time, client and requester."""

    id: str | None = Field(default=None, alias="ID")
    created_at: datetime | None = Field(default=None, alias="CreatedAt", description="RFC 3339 time in UTC")
    client_id: str | None = Field(default=None, alias="ClientID")
    requester: ModelJobRequester | None = Field(default=None, alias="Requester")

    @field_serializer("created_at")
    def _rfc3339_utc(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ModelJob(WireModel):
    """A v1beta1 job: API version, metadata and spec."""

    api_version: str = Field(default=API_VERSION, alias="APIVersion")
    metadata: ModelMetadata = Field(default_factory=ModelMetadata, alias="Metadata")
    spec: ModelSpec = Field(alias="Spec")

    @model_serializer(mode="wrap")
    def _keep_sections(self, handler: Any) -> dict[str, Any]:
        dumped = handler(self)
        return {key: value for key, value in dumped.items() if key != "Metadata" or value}
