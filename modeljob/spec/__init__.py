"""The ModelJob contract: Bacalhau V1beta1 job models, parsing, validation and the canonical form.

Use `parse_job` for anything that comes from outside, `dump_job` to store or send a
job, and `load_canonical` to read back a stored dump quickly.
"""

from modeljob.spec.enums import Engine, Network, Publisher, SelectionOperator, StorageSourceType
from modeljob.spec.models import (
    API_VERSION,
    ModelDeal,
    ModelJob,
    ModelJobRequester,
    ModelJobSpecDocker,
    ModelJobSpecWasm,
    ModelLabelSelectorRequirement,
    ModelMetadata,
    ModelNetworkConfig,
    ModelPublisherSpec,
    ModelResourceUsageConfig,
    ModelS3StorageSpec,
    ModelSpec,
    ModelStorageSpec,
)
from modeljob.spec.parse import ParsedJob, dump_job, dump_job_json, job_json_schema, load_canonical, parse_job

__all__ = [
    "API_VERSION",
    "Engine",
    "ModelDeal",
    "ModelJob",
    "ModelJobRequester",
    "ModelJobSpecDocker",
    "ModelJobSpecWasm",
    "ModelLabelSelectorRequirement",
    "ModelMetadata",
    "ModelNetworkConfig",
    "ModelPublisherSpec",
    "ModelResourceUsageConfig",
    "ModelS3StorageSpec",
    "ModelSpec",
    "ModelStorageSpec",
    "Network",
    "ParsedJob",
    "Publisher",
    "SelectionOperator",
    "StorageSourceType",
    "dump_job",
    "dump_job_json",
    "job_json_schema",
    "load_canonical",
    "parse_job",
]
