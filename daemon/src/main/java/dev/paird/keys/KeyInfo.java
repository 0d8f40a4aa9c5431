package dev.paird.keys;

import dev.paird.api.Suite;
import java.time.Instant;

/** What may be said about a pending key without revealing it: for status and list-keys. */
public record KeyInfo(
    String id, Suite suite, Instant createdAt, Instant expiresAt, int attemptsLeft) {}
