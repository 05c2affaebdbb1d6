"""Disbursement's use cases, one module per aggregate, one transaction (one commit point) each:

- ``payments``: instructions from approvals and help-first grants, bank results, retries, handovers,
  corrections (R-AID-2, R-AID-3, R-FLOW-2, R-FLOW-4);
- ``payees``: the beneficiary and its account changes, four eyes (R-AID-2);
- ``funds``: township reserve funds (R-RES), the ledger's reconciliation, the public disclosure (R-OVS-3);
- ``batches``, ``returns``, ``statements``, ``receipts``: bank files, return files, statements, receipt
  checks (docs/bank-file.md).
"""
