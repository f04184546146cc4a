"""``MonitoredOTCClient``: the guide's monitored client, built on hooks.

The guide wrapped each method in a decorator defined as a method of the same class,
which cannot work (in the class body it is a plain function that receives ``'GET'`` as
``self``). Hooks on the transport see every call instead, with the route template.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from ..client import OpenToCloseAPI
from ..resources._base import Id, Record
from .instrument import MetricsHook, instrument
from .logs import CallLogHook

__all__ = ["MonitoredOTCClient"]


class MonitoredOTCClient:
    """``client`` with metrics (:func:`instrument`) and a log line per call.

    Every call of ``client`` is recorded, not only the four below: monitoring is attached
    to the client itself.
    """

    def __init__(
        self,
        otc_client: OpenToCloseAPI,
        *,
        registry: CollectorRegistry | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.otc_client = otc_client
        self.metrics_hook: MetricsHook = instrument(otc_client, registry)
        existing = [h for h in otc_client.hooks if isinstance(h, CallLogHook)]
        if existing:
            self.log_hook = existing[0]
        else:
            self.log_hook = CallLogHook(logger)
            otc_client.add_hook(self.log_hook)
        self.logger = self.log_hook.logger

    def get_property(self, property_id: Id) -> Record:
        return self.otc_client.properties.retrieve_property(property_id)

    def list_properties(self, params: Mapping[str, Any] | None = None) -> list[Record]:
        return self.otc_client.properties.list_properties(params)

    def create_property(self, data: Mapping[str, Any]) -> Record:
        return self.otc_client.properties.create_property(data)

    def update_property(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        return self.otc_client.properties.update_property(property_id, data)
