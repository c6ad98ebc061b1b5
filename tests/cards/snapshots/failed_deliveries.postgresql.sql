SELECT b.bucket, b.carrier, sum(b.in_numerator) AS num, count(*) AS den 
FROM (SELECT CASE WHEN (card_set.anchor_at < %(param_1)s) THEN %(param_2)s WHEN (card_set.anchor_at < %(param_3)s) THEN %(param_4)s WHEN (card_set.anchor_at < %(param_5)s) THEN %(param_6)s WHEN (card_set.anchor_at < %(param_7)s) THEN %(param_8)s WHEN (card_set.anchor_at < %(param_9)s) THEN %(param_10)s WHEN (card_set.anchor_at < %(param_11)s) THEN %(param_12)s WHEN (card_set.anchor_at < %(param_13)s) THEN %(param_14)s WHEN (card_set.anchor_at < %(param_15)s) THEN %(param_16)s WHEN (card_set.anchor_at < %(param_17)s) THEN %(param_18)s WHEN (card_set.anchor_at < %(param_19)s) THEN %(param_20)s WHEN (card_set.anchor_at < %(param_21)s) THEN %(param_22)s WHEN (card_set.anchor_at < %(param_23)s) THEN %(param_24)s WHEN (card_set.anchor_at < %(param_25)s) THEN %(param_26)s WHEN (card_set.anchor_at < %(param_27)s) THEN %(param_28)s WHEN (card_set.anchor_at < %(param_29)s) THEN %(param_30)s WHEN (card_set.anchor_at < %(param_31)s) THEN %(param_32)s WHEN (card_set.anchor_at < %(param_33)s) THEN %(param_34)s WHEN (card_set.anchor_at < %(param_35)s) THEN %(param_36)s WHEN (card_set.anchor_at < %(param_37)s) THEN %(param_38)s WHEN (card_set.anchor_at < %(param_39)s) THEN %(param_40)s WHEN (card_set.anchor_at < %(param_41)s) THEN %(param_42)s WHEN (card_set.anchor_at < %(param_43)s) THEN %(param_44)s WHEN (card_set.anchor_at < %(param_45)s) THEN %(param_46)s WHEN (card_set.anchor_at < %(param_47)s) THEN %(param_48)s WHEN (card_set.anchor_at < %(param_49)s) THEN %(param_50)s WHEN (card_set.anchor_at < %(param_51)s) THEN %(param_52)s WHEN (card_set.anchor_at < %(param_53)s) THEN %(param_54)s WHEN (card_set.anchor_at < %(param_55)s) THEN %(param_56)s WHEN (card_set.anchor_at < %(param_57)s) THEN %(param_58)s WHEN (card_set.anchor_at < %(param_59)s) THEN %(param_60)s WHEN (card_set.anchor_at < %(param_61)s) THEN %(param_62)s ELSE %(param_63)s END AS bucket, card_set.in_numerator AS in_numerator, card_set.carrier AS carrier 
FROM (SELECT raw.shipments.shipment_id AS shipment_id, raw.shipments.created_at AS anchor_at, CASE WHEN ((anon_1.shipment_id IS NOT NULL OR anon_2.shipment_id IS NOT NULL) AND (raw.shipments.delivered_at IS NULL OR raw.shipments.delivered_at > %(param_64)s)) THEN %(param_65)s ELSE %(param_66)s END AS in_numerator, NULL AS attribution_key, NULL AS first_event_at, raw.shipments.carrier AS carrier 
FROM raw.shipments LEFT OUTER JOIN (SELECT raw.tracking_events.shipment_id AS shipment_id, min(raw.tracking_events.occurred_at) AS first_at 
FROM raw.tracking_events 
WHERE raw.tracking_events.occurred_at <= %(param_67)s AND raw.tracking_events.milestone = %(param_68)s GROUP BY raw.tracking_events.shipment_id) AS anon_1 ON anon_1.shipment_id = raw.shipments.shipment_id LEFT OUTER JOIN (SELECT raw.tracking_events.shipment_id AS shipment_id, min(raw.tracking_events.occurred_at) AS first_at 
FROM raw.tracking_events 
WHERE raw.tracking_events.occurred_at <= %(param_69)s AND raw.tracking_events.exception_category = %(param_70)s GROUP BY raw.tracking_events.shipment_id) AS anon_2 ON anon_2.shipment_id = raw.shipments.shipment_id 
WHERE raw.shipments.created_at >= %(param_71)s AND raw.shipments.created_at < %(param_72)s AND (raw.shipments.is_return IS NULL OR raw.shipments.is_return = false)) AS card_set) AS b GROUP BY b.bucket, b.carrier
-- bound parameters:
--   param_1 = datetime.datetime(2026, 3, 5, 23, 0, tzinfo=datetime.timezone.utc)
--   param_10 = 3
--   param_11 = datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.timezone.utc)
--   param_12 = 4
--   param_13 = datetime.datetime(2026, 3, 11, 23, 0, tzinfo=datetime.timezone.utc)
--   param_14 = 5
--   param_15 = datetime.datetime(2026, 3, 12, 23, 0, tzinfo=datetime.timezone.utc)
--   param_16 = 6
--   param_17 = datetime.datetime(2026, 3, 13, 23, 0, tzinfo=datetime.timezone.utc)
--   param_18 = 7
--   param_19 = datetime.datetime(2026, 3, 14, 23, 0, tzinfo=datetime.timezone.utc)
--   param_2 = -1
--   param_20 = 8
--   param_21 = datetime.datetime(2026, 3, 15, 23, 0, tzinfo=datetime.timezone.utc)
--   param_22 = 9
--   param_23 = datetime.datetime(2026, 3, 16, 23, 0, tzinfo=datetime.timezone.utc)
--   param_24 = 10
--   param_25 = datetime.datetime(2026, 3, 17, 23, 0, tzinfo=datetime.timezone.utc)
--   param_26 = 11
--   param_27 = datetime.datetime(2026, 3, 18, 23, 0, tzinfo=datetime.timezone.utc)
--   param_28 = 12
--   param_29 = datetime.datetime(2026, 3, 19, 23, 0, tzinfo=datetime.timezone.utc)
--   param_3 = datetime.datetime(2026, 3, 6, 23, 0, tzinfo=datetime.timezone.utc)
--   param_30 = 13
--   param_31 = datetime.datetime(2026, 3, 20, 23, 0, tzinfo=datetime.timezone.utc)
--   param_32 = 14
--   param_33 = datetime.datetime(2026, 3, 21, 23, 0, tzinfo=datetime.timezone.utc)
--   param_34 = 15
--   param_35 = datetime.datetime(2026, 3, 22, 23, 0, tzinfo=datetime.timezone.utc)
--   param_36 = 16
--   param_37 = datetime.datetime(2026, 3, 23, 23, 0, tzinfo=datetime.timezone.utc)
--   param_38 = 17
--   param_39 = datetime.datetime(2026, 3, 24, 23, 0, tzinfo=datetime.timezone.utc)
--   param_4 = 0
--   param_40 = 18
--   param_41 = datetime.datetime(2026, 3, 25, 23, 0, tzinfo=datetime.timezone.utc)
--   param_42 = 19
--   param_43 = datetime.datetime(2026, 3, 26, 23, 0, tzinfo=datetime.timezone.utc)
--   param_44 = 20
--   param_45 = datetime.datetime(2026, 3, 27, 23, 0, tzinfo=datetime.timezone.utc)
--   param_46 = 21
--   param_47 = datetime.datetime(2026, 3, 28, 23, 0, tzinfo=datetime.timezone.utc)
--   param_48 = 22
--   param_49 = datetime.datetime(2026, 3, 29, 22, 0, tzinfo=datetime.timezone.utc)
--   param_5 = datetime.datetime(2026, 3, 7, 23, 0, tzinfo=datetime.timezone.utc)
--   param_50 = 23
--   param_51 = datetime.datetime(2026, 3, 30, 22, 0, tzinfo=datetime.timezone.utc)
--   param_52 = 24
--   param_53 = datetime.datetime(2026, 3, 31, 22, 0, tzinfo=datetime.timezone.utc)
--   param_54 = 25
--   param_55 = datetime.datetime(2026, 4, 1, 22, 0, tzinfo=datetime.timezone.utc)
--   param_56 = 26
--   param_57 = datetime.datetime(2026, 4, 2, 22, 0, tzinfo=datetime.timezone.utc)
--   param_58 = 27
--   param_59 = datetime.datetime(2026, 4, 3, 22, 0, tzinfo=datetime.timezone.utc)
--   param_6 = 1
--   param_60 = 28
--   param_61 = datetime.datetime(2026, 4, 4, 22, 0, tzinfo=datetime.timezone.utc)
--   param_62 = 29
--   param_63 = 30
--   param_64 = datetime.datetime(2026, 4, 5, 8, 0, tzinfo=datetime.timezone.utc)
--   param_65 = 1
--   param_66 = 0
--   param_67 = datetime.datetime(2026, 4, 5, 8, 0, tzinfo=datetime.timezone.utc)
--   param_68 = 'attempt_failed'
--   param_69 = datetime.datetime(2026, 4, 5, 8, 0, tzinfo=datetime.timezone.utc)
--   param_7 = datetime.datetime(2026, 3, 8, 23, 0, tzinfo=datetime.timezone.utc)
--   param_70 = 'recipient'
--   param_71 = datetime.datetime(2026, 2, 3, 23, 0, tzinfo=datetime.timezone.utc)
--   param_72 = datetime.datetime(2026, 4, 4, 22, 0, tzinfo=datetime.timezone.utc)
--   param_8 = 2
--   param_9 = datetime.datetime(2026, 3, 9, 23, 0, tzinfo=datetime.timezone.utc)
