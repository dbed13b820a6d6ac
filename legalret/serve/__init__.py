"""``legalret serve``: the search engine as a local web service — JSON API, a web page, live index updates.

=====================  ==================================================================================
``app.create_app``     the FastAPI (ASGI) app: ``/api/search``, ``/api/articles/{key}``, ``/healthz``, ``/``
``live.LiveSearcher``  follows the index's ``CURRENT`` pointer; swaps in a new generation without a restart
``server.run``         uvicorn on 127.0.0.1 by default; ``LEGALRET_TOKEN`` / ``--token`` for a bearer token;
                       ``workers=N``: N worker processes on one socket
``client``             what ``legalret search`` uses when ``LEGALRET_SERVER`` is set (stdlib only)
``wording``            the answer in a lawyer's words: Korean retriever names, the re-ranker's reasons per
                       retriever, precedent facts from where they start (the 0–100 relevance is the searcher's)
``statutes``           search / one article / citation check / laws as dicts: what MCP and LangChain call
``mcp_server``         ``legalret mcp``: the Model Context Protocol server for LLM agents (official ``mcp`` SDK)
``static/``            the page: index.html, app.css, app.js (plain HTML/CSS/JS, no CDN, works offline)
=====================  ==================================================================================

Usage::

    legalret serve --index idx/                     # http://127.0.0.1:8000/ and /docs
    LEGALRET_SERVER=http://127.0.0.1:8000 legalret search "유치권 간접점유"    # answered by the server

This package sits beside ``legalret.cli`` at the top of the layers: it uses ``legalret.search`` and
``legalret.index.store`` only through their public API.
"""
