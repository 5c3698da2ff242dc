"""The initial schema: catalogue, stock and ledger, orders, payments, shipments, returns, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from oms_core.storage.types import Amount, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(prefix: str = "", schema: str | None = None) -> None:
    p = prefix
    s = f"{schema}." if schema else ""
    op.create_table(f'{p}events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}events_order_id', f'{p}events', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}locations',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('postcode', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code'),
    schema=schema,
    )
    op.create_table(f'{p}orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_email', sa.String(length=255), nullable=True),
    sa.Column('customer', sa.JSON(), nullable=False),
    sa.Column('shipping_address', sa.JSON(), nullable=True),
    sa.Column('billing_address', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('payment_status', sa.String(length=32), nullable=False),
    sa.Column('fulfillment_status', sa.String(length=32), nullable=False),
    sa.Column('subtotal', Amount(), nullable=False),
    sa.Column('discount_total', Amount(), nullable=False),
    sa.Column('shipping_total', Amount(), nullable=False),
    sa.Column('tax_total', Amount(), nullable=False),
    sa.Column('total', Amount(), nullable=False),
    sa.Column('amount_authorized', Amount(), nullable=False),
    sa.Column('amount_captured', Amount(), nullable=False),
    sa.Column('amount_refunded', Amount(), nullable=False),
    sa.Column('taxes_included', sa.Boolean(), nullable=False),
    sa.Column('placed_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name=f'uq_{p}orders_channel_external_id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}orders_placed_at', f'{p}orders', ['placed_at'], unique=False, schema=schema)
    op.create_index(f'ix_{p}orders_status', f'{p}orders', ['status'], unique=False, schema=schema)
    op.create_table(f'{p}products',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('weight_grams', sa.Integer(), nullable=True),
    sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sku'),
    schema=schema,
    )
    op.create_table(f'{p}stock_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}stock_ledger_sku_location', f'{p}stock_ledger', ['sku', 'location'], unique=False, schema=schema)
    op.create_table(f'{p}deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('handler', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('locked_until', UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], [f'{s}{p}events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'handler', name=f'uq_{p}deliveries_event_handler'),
    schema=schema,
    )
    op.create_index(f'ix_{p}deliveries_due', f'{p}deliveries', ['status', 'next_attempt_at'], unique=False, schema=schema)
    op.create_table(f'{p}holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}holds_order_id', f'{p}holds', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}order_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', Amount(), nullable=False),
    sa.Column('discount', Amount(), nullable=False),
    sa.Column('tax', Amount(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('backordered', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=f'ck_{p}order_lines_quantity'),
    sa.CheckConstraint('shipped + cancelled <= quantity', name=f'ck_{p}order_lines_not_overshipped'),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}order_lines_order_id', f'{p}order_lines', ['order_id'], unique=False, schema=schema)
    op.create_index(f'ix_{p}order_lines_sku', f'{p}order_lines', ['sku'], unique=False, schema=schema)
    op.create_table(f'{p}payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', Amount(), nullable=False),
    sa.Column('captured', Amount(), nullable=False),
    sa.Column('refunded', Amount(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key', name=f'uq_{p}payments_idempotency_key'),
    schema=schema,
    )
    op.create_index(f'ix_{p}payments_gateway_reference', f'{p}payments', ['gateway', 'reference'], unique=False, schema=schema)
    op.create_index(f'ix_{p}payments_order_id', f'{p}payments', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}returns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refund_amount', Amount(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}returns_order_id', f'{p}returns', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}shipments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('tracking_number', sa.String(length=128), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('cost', Amount(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}shipments_order_id', f'{p}shipments', ['order_id'], unique=False, schema=schema)
    op.create_index(f'ix_{p}shipments_tracking', f'{p}shipments', ['carrier', 'tracking_number'], unique=False, schema=schema)
    op.create_table(f'{p}stock',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.CheckConstraint('reserved >= 0 AND on_hand >= reserved', name=f'ck_{p}stock_not_oversold'),
    sa.ForeignKeyConstraint(['location'], [f'{s}{p}locations.code'], ),
    sa.ForeignKeyConstraint(['sku'], [f'{s}{p}products.sku'], ),
    sa.PrimaryKeyConstraint('sku', 'location'),
    schema=schema,
    )
    op.create_table(f'{p}timeline',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}timeline_order_id', f'{p}timeline', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}payment_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gateway', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('payment_id', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('received_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], [f'{s}{p}payments.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('gateway', 'event_id', name=f'uq_{p}payment_events_gateway_event'),
    schema=schema,
    )
    op.create_table(f'{p}refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('payment_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', Amount(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], [f'{s}{p}payments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}refunds_order_id', f'{p}refunds', ['order_id'], unique=False, schema=schema)
    op.create_table(f'{p}reservations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('released', sa.Integer(), nullable=False),
    sa.CheckConstraint('shipped + released <= quantity', name=f'ck_{p}reservations_open'),
    sa.ForeignKeyConstraint(['line_id'], [f'{s}{p}order_lines.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], [f'{s}{p}orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}reservations_order_id', f'{p}reservations', ['order_id'], unique=False, schema=schema)
    op.create_index(f'ix_{p}reservations_sku_location', f'{p}reservations', ['sku', 'location'], unique=False, schema=schema)
    op.create_table(f'{p}return_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('return_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=True),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.CheckConstraint('quantity > 0', name=f'ck_{p}return_lines_quantity'),
    sa.ForeignKeyConstraint(['line_id'], [f'{s}{p}order_lines.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_id'], [f'{s}{p}returns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}return_lines_return_id', f'{p}return_lines', ['return_id'], unique=False, schema=schema)
    op.create_table(f'{p}shipment_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], [f'{s}{p}shipments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}shipment_documents_shipment_id', f'{p}shipment_documents', ['shipment_id'], unique=False, schema=schema)
    op.create_table(f'{p}shipment_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger(), nullable=False),
    sa.Column('line_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=f'ck_{p}shipment_lines_quantity'),
    sa.ForeignKeyConstraint(['line_id'], [f'{s}{p}order_lines.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], [f'{s}{p}shipments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema=schema,
    )
    op.create_index(f'ix_{p}shipment_lines_shipment_id', f'{p}shipment_lines', ['shipment_id'], unique=False, schema=schema)
    op.create_table(f'{p}tracking_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], [f'{s}{p}shipments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'status', 'at', name=f'uq_{p}tracking_events_once'),
    schema=schema,
    )


def downgrade(prefix: str = "", schema: str | None = None) -> None:
    p = prefix
    op.drop_table(f'{p}tracking_events', schema=schema)
    op.drop_index(f'ix_{p}shipment_lines_shipment_id', table_name=f'{p}shipment_lines', schema=schema)
    op.drop_table(f'{p}shipment_lines', schema=schema)
    op.drop_index(f'ix_{p}shipment_documents_shipment_id', table_name=f'{p}shipment_documents', schema=schema)
    op.drop_table(f'{p}shipment_documents', schema=schema)
    op.drop_index(f'ix_{p}return_lines_return_id', table_name=f'{p}return_lines', schema=schema)
    op.drop_table(f'{p}return_lines', schema=schema)
    op.drop_index(f'ix_{p}reservations_sku_location', table_name=f'{p}reservations', schema=schema)
    op.drop_index(f'ix_{p}reservations_order_id', table_name=f'{p}reservations', schema=schema)
    op.drop_table(f'{p}reservations', schema=schema)
    op.drop_index(f'ix_{p}refunds_order_id', table_name=f'{p}refunds', schema=schema)
    op.drop_table(f'{p}refunds', schema=schema)
    op.drop_table(f'{p}payment_events', schema=schema)
    op.drop_index(f'ix_{p}timeline_order_id', table_name=f'{p}timeline', schema=schema)
    op.drop_table(f'{p}timeline', schema=schema)
    op.drop_table(f'{p}stock', schema=schema)
    op.drop_index(f'ix_{p}shipments_tracking', table_name=f'{p}shipments', schema=schema)
    op.drop_index(f'ix_{p}shipments_order_id', table_name=f'{p}shipments', schema=schema)
    op.drop_table(f'{p}shipments', schema=schema)
    op.drop_index(f'ix_{p}returns_order_id', table_name=f'{p}returns', schema=schema)
    op.drop_table(f'{p}returns', schema=schema)
    op.drop_index(f'ix_{p}payments_order_id', table_name=f'{p}payments', schema=schema)
    op.drop_index(f'ix_{p}payments_gateway_reference', table_name=f'{p}payments', schema=schema)
    op.drop_table(f'{p}payments', schema=schema)
    op.drop_index(f'ix_{p}order_lines_sku', table_name=f'{p}order_lines', schema=schema)
    op.drop_index(f'ix_{p}order_lines_order_id', table_name=f'{p}order_lines', schema=schema)
    op.drop_table(f'{p}order_lines', schema=schema)
    op.drop_index(f'ix_{p}holds_order_id', table_name=f'{p}holds', schema=schema)
    op.drop_table(f'{p}holds', schema=schema)
    op.drop_index(f'ix_{p}deliveries_due', table_name=f'{p}deliveries', schema=schema)
    op.drop_table(f'{p}deliveries', schema=schema)
    op.drop_index(f'ix_{p}stock_ledger_sku_location', table_name=f'{p}stock_ledger', schema=schema)
    op.drop_table(f'{p}stock_ledger', schema=schema)
    op.drop_table(f'{p}products', schema=schema)
    op.drop_index(f'ix_{p}orders_status', table_name=f'{p}orders', schema=schema)
    op.drop_index(f'ix_{p}orders_placed_at', table_name=f'{p}orders', schema=schema)
    op.drop_table(f'{p}orders', schema=schema)
    op.drop_table(f'{p}locations', schema=schema)
    op.drop_index(f'ix_{p}events_order_id', table_name=f'{p}events', schema=schema)
    op.drop_table(f'{p}events', schema=schema)
