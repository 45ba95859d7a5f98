"""Near-real-time runs from Exact Online webhooks (docs/webhooks.md).

Modules (arrows one way; only :mod:`.app` and :mod:`.server` import the web server, which
comes with the ``[webhooks]`` extra, and only the ``serve`` command imports them):

* :mod:`.notification`: the raw Content bytes, the HashCode check, the fields;
* :mod:`.topics`: the topic-to-stream table;
* :mod:`.settings`: the ``webhook_*`` settings, checked;
* :mod:`.store`: the durable event log and the runs it triggered;
* :mod:`.trigger`: debounced, one-at-a-time runs of ``webhook_command``;
* :mod:`.app`: the Starlette receiver; :mod:`.server`: uvicorn around it.
"""
