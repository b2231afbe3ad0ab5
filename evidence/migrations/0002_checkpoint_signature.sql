-- The prune checkpoint's Ed25519 signature (evidence.CheckpointMessage),
-- made by `evidence prune --key`; empty when the checkpoint is not signed.
ALTER TABLE checkpoint ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
ALTER TABLE checkpoint ADD COLUMN signature TEXT NOT NULL DEFAULT '';
