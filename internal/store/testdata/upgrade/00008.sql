-- 00008_totp: users.totp_*; recovery_codes.
UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled = TRUE, totp_last_step = 59000000 WHERE id = 4;

INSERT INTO recovery_codes (id, user_id, code_hash, used_at) VALUES
    (1, 4, 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c', NULL),
    (2, 4, '7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730', '2026-02-02 00:00:00+00:00');
