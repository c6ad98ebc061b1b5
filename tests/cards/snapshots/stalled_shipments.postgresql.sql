SELECT raw.shipments.shipment_id, raw.shipments.tracking_number, raw.shipments.carrier, coalesce(last_event.last_milestone, %(param_1)s) AS last_milestone, coalesce(last_event.last_at, raw.shipments.shipped_at, raw.shipments.created_at) AS reference_at, CASE WHEN (coalesce(last_event.last_at, raw.shipments.shipped_at, raw.shipments.created_at) < CASE WHEN (raw.shipments.carrier = %(carrier_1)s) THEN %(param_2)s ELSE %(param_3)s END) THEN %(param_4)s ELSE %(param_5)s END AS stalled 
FROM raw.shipments LEFT OUTER JOIN (SELECT ranked_events.shipment_id AS shipment_id, ranked_events.last_at AS last_at, ranked_events.last_milestone AS last_milestone 
FROM (SELECT raw.tracking_events.shipment_id AS shipment_id, raw.tracking_events.occurred_at AS last_at, coalesce(raw.tracking_events.milestone, CASE WHEN (raw.tracking_events.exception_category IS NOT NULL) THEN %(param_6)s ELSE %(param_7)s END) AS last_milestone, row_number() OVER (PARTITION BY raw.tracking_events.shipment_id ORDER BY raw.tracking_events.occurred_at DESC, raw.tracking_events.event_id DESC) AS rn 
FROM raw.tracking_events 
WHERE raw.tracking_events.occurred_at <= %(param_8)s AND raw.tracking_events.shipment_id IN (SELECT raw.shipments.shipment_id 
FROM raw.shipments 
WHERE raw.shipments.created_at >= %(param_9)s AND raw.shipments.created_at <= %(param_8)s)) AS ranked_events 
WHERE ranked_events.rn = %(rn_1)s) AS last_event ON last_event.shipment_id = raw.shipments.shipment_id LEFT OUTER JOIN (SELECT raw.tracking_events.shipment_id AS shipment_id 
FROM raw.tracking_events 
WHERE raw.tracking_events.occurred_at <= %(param_8)s AND raw.tracking_events.shipment_id IN (SELECT raw.shipments.shipment_id 
FROM raw.shipments 
WHERE raw.shipments.created_at >= %(param_9)s AND raw.shipments.created_at <= %(param_8)s) AND raw.tracking_events.milestone IN (__[POSTCOMPILE_milestone_1]) GROUP BY raw.tracking_events.shipment_id) AS terminal_events ON terminal_events.shipment_id = raw.shipments.shipment_id 
WHERE raw.shipments.created_at >= %(param_10)s AND raw.shipments.created_at <= %(param_8)s AND (raw.shipments.delivered_at IS NULL OR raw.shipments.delivered_at > %(param_8)s) AND terminal_events.shipment_id IS NULL AND (raw.shipments.is_terminal IS NULL OR raw.shipments.is_terminal = false OR raw.shipments.updated_at IS NULL OR raw.shipments.updated_at > %(param_8)s) AND (raw.shipments.is_return IS NULL OR raw.shipments.is_return = false)
-- bound parameters:
--   carrier_1 = 'poste_italiane'
--   milestone_1 = ['delivered', 'returned', 'cancelled']
--   param_1 = 'no_carrier_scan'
--   param_10 = datetime.datetime(2026, 3, 8, 23, 0, tzinfo=datetime.timezone.utc)
--   param_2 = datetime.datetime(2026, 3, 30, 22, 0, tzinfo=datetime.timezone.utc)
--   param_3 = datetime.datetime(2026, 4, 1, 22, 0, tzinfo=datetime.timezone.utc)
--   param_4 = 1
--   param_5 = 0
--   param_6 = 'exception'
--   param_7 = 'unknown'
--   param_8 = datetime.datetime(2026, 4, 8, 8, 0, tzinfo=datetime.timezone.utc)
--   param_9 = datetime.datetime(2026, 3, 8, 23, 0, tzinfo=datetime.timezone.utc)
--   rn_1 = 1
