-- Open items from every loaded ledger line (no date cut-off): what Exact's ReceivablesList and
-- PayablesList show at the moment the tap read them (recon_open_items).
{{ open_items() }}
