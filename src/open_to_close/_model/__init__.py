"""The Open To Close API's data, declared once, below the client and the sandbox.

- :mod:`.resources`: the eleven resources (paths, names, page caps);
- :mod:`.property_fields`: the live account's property fields (keys, labels, types) and
  the choice options the sandbox's default account offers;
- :mod:`.flat`: the guide's flat names (aliases) and statuses, and how a status finds
  the account's option;
- :mod:`.events`: the event types of the guide's webhooks;
- :mod:`.schema`: the fields of the other resources (contacts, notes, tasks, ...).

The client, the sandbox, sync, the change feed and the OpenAPI document all read these
tables; nothing above this layer spells a field key, a status or an event type again.
"""
