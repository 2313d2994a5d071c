"""Settings from MODELJOB_* variables, and the deployment limits built on them."""

from __future__ import annotations

import pydantic
import pytest

from modeljob.admission import check_deployment_limits
from modeljob.errors import SpecValidationError
from modeljob.settings import Settings, redact_url
from modeljob.spec import parse_job


def test_allowed_paths_split_on_commas(monkeypatch):
    monkeypatch.setenv("MODELJOB_ALLOWED_LOCAL_PATHS", "/data, /scratch:rw,")
    assert Settings().allowed_local_paths == ["/data", "/scratch:rw"]


def test_store_url_defaults_to_broker():
    settings = Settings(broker_url="redis://127.0.0.1:6390/2")
    assert settings.effective_store_url == "redis://127.0.0.1:6390/2"


@pytest.mark.parametrize("field", ["broker_url", "store_url"])
def test_non_redis_url_rejected(field):
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(**{field: "amqp://guest:guest@127.0.0.1:5672//"})
    message = str(caught.value)
    assert f"MODELJOB_{field.upper()}" in message
    assert "guest:guest" not in message.split("input_value")[0]


def test_redact_url_hides_password():
    assert redact_url("redis://user:s3cret@127.0.0.1:6379/0") == "redis://user:***@127.0.0.1:6379/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_timeout_above_maximum_rejected():
    job = parse_job({"APIVersion": "V1beta1", "Spec": {"Engine": "Noop", "Timeout": 601}}).job
    with pytest.raises(SpecValidationError) as caught:
        check_deployment_limits(job, Settings(max_job_timeout_s=600))
    (error,) = caught.value.errors
    assert error.path == "Spec.Timeout"
    assert error.value == 601
    assert "MODELJOB_MAX_JOB_TIMEOUT_S" in error.message


def test_timeout_at_maximum_accepted():
    job = parse_job({"APIVersion": "V1beta1", "Spec": {"Engine": "Noop", "Timeout": 600}}).job
    check_deployment_limits(job, Settings(max_job_timeout_s=600))
