-- Members' date of birth, sealed like the rest of their profile (SPEC §8).
-- NULL for profiles sealed before this column existed (read as empty).
ALTER TABLE member_profiles
  ADD COLUMN date_of_birth_sealed bytea CHECK (length(date_of_birth_sealed) >= 28);
