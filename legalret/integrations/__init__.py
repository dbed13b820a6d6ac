"""legalret inside other frameworks: adapters that sit above :mod:`legalret.serve` (nothing in legalret imports
them; each needs its framework, installed as an extra).

=========================  ============================================================================
``langchain``              :class:`~legalret.integrations.langchain.LegalretRetriever` — a LangChain
                           retriever over an index or a running ``legalret serve`` (``legalret[langchain]``)
=========================  ============================================================================

The MCP server for LLM agents is :mod:`legalret.serve.mcp_server` (``legalret mcp``).
"""
