"""Events from the live API, which sends no webhooks: a change feed that reads it.

>>> feed = ChangeFeed(client, handler)  # doctest: +SKIP
>>> feed.poll_once()  # doctest: +SKIP
[{'id': 'evt_...', 'event_type': 'property.status_changed', ...}]
"""

from .feed import RESOURCES, ChangeFeed
from .state import DEFAULT_STATE, FeedState

__all__ = ["DEFAULT_STATE", "RESOURCES", "ChangeFeed", "FeedState"]
