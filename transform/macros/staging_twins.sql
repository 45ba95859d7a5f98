{#
  Twin endpoints: Exact serves these pairs with the same fields (bank and cash, payables and
  receivables, the two opening-balance years), so each pair has one declaration here (columns as
  exact_staging in macros/staging.sql takes them) and each twin's model is one call with its
  stream and the few names in which the twins differ. Columns come out in the order listed.
#}

{#- financialtransaction/BankEntries and CashEntries (Modified); key EntryID. -#}
{% macro exact_bank_cash_entries_staging(stream) -%}
{{ exact_staging(stream, 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('JournalCode', 'str', 'journal_code'),
    ('FinancialYear', 'int', 'financial_year'),
    ('FinancialPeriod', 'int', 'financial_period'),
    ('Currency', 'str', 'currency'),
    ('OpeningBalanceFC', 'amount', 'opening_balance_fc'),
    ('ClosingBalanceFC', 'amount', 'closing_balance_fc'),
    ('Status', 'int', 'status'),
], has_timestamp=false) }}
{%- endmacro %}

{#- financialtransaction/BankEntryLines and CashEntryLines (Modified); key ID, named id_alias. -#}
{% macro exact_bank_cash_entry_lines_staging(stream, id_alias) -%}
{{ exact_staging(stream, 'ID', [
    ('ID', 'guid', id_alias),
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('LineNumber', 'int', 'line_number'),
    ('Date', 'date', 'entry_date'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('Account', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('CostCenter', 'str', 'cost_center_code'),
    ('CostUnit', 'str', 'cost_unit_code'),
    ('Project', 'guid', 'project_id'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('ExchangeRate', 'number', 'exchange_rate'),
    ('VATCode', 'str', 'vat_code'),
    ('OurRef', 'int', 'our_ref'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
{%- endmacro %}

{#-
  purchaseentry/PurchaseEntries and salesentry/SalesEntries (Modified); key EntryID. party:
  Supplier or Customer (its account ID and name); extra_columns follow Type (PurchaseEntries'
  PaymentCondition).
-#}
{% macro exact_entries_staging(stream, party, extra_columns=[]) -%}
{{ exact_staging(stream, 'EntryID', [
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    (party, 'guid', (party | lower) ~ '_account_id'),
    (party ~ 'Name', 'str', (party | lower) ~ '_name'),
    ('EntryDate', 'date', 'entry_date'),
    ('DueDate', 'date', 'due_date'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('YourRef', 'str', 'your_ref'),
    ('Journal', 'str', 'journal_code'),
    ('Currency', 'str', 'currency'),
    ('ReportingYear', 'int', 'reporting_year'),
    ('ReportingPeriod', 'int', 'reporting_period'),
    ('Status', 'int', 'status'),
    ('Type', 'int', 'entry_type'),
] + extra_columns + [
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('VATAmountDC', 'amount', 'vat_amount_dc'),
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
{%- endmacro %}

{#-
  cashflow/Payments and cashflow/Receivables (Modified); key ID, named id_alias. with_settlement:
  Receivables' IsFullyPaid (after TransactionAmountDC) and LastPaymentDate (after Status).
-#}
{% macro exact_cashflow_staging(stream, id_alias, with_settlement=false) -%}
{{ exact_staging(stream, 'ID', [
    ('ID', 'guid', id_alias),
    ('Account', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('EntryID', 'guid', 'entry_id'),
    ('EntryNumber', 'int', 'entry_number'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('InvoiceDate', 'date', 'invoice_date'),
    ('DueDate', 'date', 'due_date'),
    ('EntryDate', 'date', 'entry_date'),
    ('Journal', 'str', 'journal_code'),
    ('Currency', 'str', 'currency'),
    ('AmountDC', 'amount', 'amount_dc'),
    ('AmountFC', 'amount', 'amount_fc'),
    ('TransactionAmountDC', 'amount', 'transaction_amount_dc'),
] + ([('IsFullyPaid', 'bool', 'is_fully_paid')] if with_settlement else []) + [
    ('Status', 'int', 'status'),
] + ([('LastPaymentDate', 'date', 'last_payment_date')] if with_settlement else []) + [
    ('Description', 'str', 'description'),
], has_timestamp=false) }}
{%- endmacro %}

{#-
  read/financial/PayablesList and ReceivablesList (snapshots); key HID. extra_columns follow
  SnapshotTakenAt (PayablesList's ApprovalStatus).
-#}
{% macro exact_open_items_list_staging(stream, extra_columns=[]) -%}
{{ exact_staging(stream, 'HID', [
    ('HID', 'int', 'open_item_id'),
    ('Id', 'guid', 'payment_term_id'),
    ('AccountId', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('InvoiceNumber', 'int', 'invoice_number'),
    ('EntryNumber', 'int', 'entry_number'),
    ('InvoiceDate', 'date', 'invoice_date'),
    ('DueDate', 'date', 'due_date'),
    ('CurrencyCode', 'code', 'currency'),
    ('Amount', 'amount', 'open_amount'),
    ('AmountInTransit', 'amount', 'amount_in_transit'),
    ('JournalCode', 'str', 'journal_code'),
    ('Description', 'str', 'description'),
    ('YourRef', 'str', 'your_ref'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
] + extra_columns, has_timestamp=false, has_modified=false) }}
{%- endmacro %}

{#- read/financial/AgingPayablesList and AgingReceivablesList (snapshots); key AccountId. -#}
{% macro exact_aging_list_staging(stream) -%}
{{ exact_staging(stream, 'AccountId', [
    ('AccountId', 'guid', 'account_id'),
    ('AccountCode', 'code', 'account_code'),
    ('AccountName', 'str', 'account_name'),
    ('CurrencyCode', 'code', 'currency'),
    ('AgeGroup1Amount', 'amount', 'age_group_1_amount'),
    ('AgeGroup2Amount', 'amount', 'age_group_2_amount'),
    ('AgeGroup3Amount', 'amount', 'age_group_3_amount'),
    ('AgeGroup4Amount', 'amount', 'age_group_4_amount'),
    ('AgeGroup1Description', 'str', 'age_group_1_description'),
    ('AgeGroup2Description', 'str', 'age_group_2_description'),
    ('AgeGroup3Description', 'str', 'age_group_3_description'),
    ('AgeGroup4Description', 'str', 'age_group_4_description'),
    ('TotalAmount', 'amount', 'total_amount'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
{%- endmacro %}

{#-
  openingbalance/CurrentYear/AfterEntry and PreviousYear/AfterEntry (snapshots); key
  (ReportingYear, GLAccount).
-#}
{% macro exact_opening_balances_staging(stream) -%}
{{ exact_staging(stream, ['ReportingYear', 'GLAccount'], [
    ('ReportingYear', 'int', 'reporting_year'),
    ('GLAccount', 'guid', 'gl_account_id'),
    ('GLAccountCode', 'code', 'gl_account_code'),
    ('BalanceSide', 'str', 'balance_side'),
    ('Amount', 'amount', 'opening_balance_dc'),
    ('SnapshotTakenAt', 'ts', 'snapshot_taken_at'),
], has_timestamp=false, has_modified=false) }}
{%- endmacro %}
