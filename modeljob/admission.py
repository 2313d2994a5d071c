"""Checks of a valid job against the limits of this deployment's settings.

The contract (`modeljob.spec`) decides what a job may contain at all. These checks
depend on how producers and workers are configured, so `submit` and `validate`
run them with the settings in force.
"""

from __future__ import annotations

from modeljob.errors import FieldError, SpecValidationError
from modeljob.settings import Settings
from modeljob.spec import ModelJob


def deployment_errors(job: ModelJob, settings: Settings) -> list[FieldError]:
    """List the ways in which a valid job exceeds this deployment's limits."""
    errors = []
    timeout_s = job.spec.timeout
    if timeout_s is not None and timeout_s > settings.max_job_timeout_s:
        errors.append(
            FieldError(
                path="Spec.Timeout",
                value=timeout_s,
                message=f"exceeds this deployment's maximum of {settings.max_job_timeout_s} s; "
                "lower it, or raise MODELJOB_MAX_JOB_TIMEOUT_S on producers and workers",
            )
        )
    return errors


def check_deployment_limits(job: ModelJob, settings: Settings, source: str | None = None) -> None:
    """Raise SpecValidationError when a valid job exceeds this deployment's limits."""
    errors = deployment_errors(job, settings)
    if errors:
        raise SpecValidationError(errors, source=source)
