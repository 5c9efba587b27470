-- The notification dispatcher claims a batch for a lease and sends it outside any transaction (issue 11.8): a
-- notification is held by the dispatcher whose lease_id it carries until lease_until; an expired lease (a crashed
-- dispatcher) makes it claimable again. Outcomes are recorded only by the lease holder.
ALTER TABLE alert_notifications ADD COLUMN lease_id uuid, ADD COLUMN lease_until timestamptz;
