package dev.paird.trust;

import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.identity.DeviceIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * State directories of devices for the consumer recipe tests: a generated identity, as paird makes
 * it, and a trusted list whose outputs the recipe reads.
 */
final class RecipeDevices {
  private static final SecureRandom RANDOM = new SecureRandom();

  private RecipeDevices() {}

  /** A device named {@code name}, with an empty trusted list, in {@code parent/name}. */
  static Path device(Path parent, String name) throws Exception {
    return device(parent, name, List.of());
  }

  /**
   * {@link #device(Path, String)}, its certificate also naming {@code addressLiterals}: for clients
   * that check the name they connect to and cannot be told another (mosquitto_pub).
   */
  static Path device(Path parent, String name, List<String> addressLiterals) throws Exception {
    Path state = Files.createDirectory(parent.resolve(name));
    DeviceIdentity.loadOrGenerate(state, name, addressLiterals, RANDOM, Clock.systemUTC());
    TrustStore.open(state);
    return state;
  }

  /** {@code truster} trusts {@code trusted}'s generated certificate. */
  static void trust(Path truster, Path trusted) throws Exception {
    TrustStore.open(truster)
        .put(
            Certificates.parsePem(Files.readString(trusted.resolve("identity/cert.pem"))),
            "host",
            Suite.SPAKE2,
            Optional.empty(),
            Instant.now());
  }

  /** {@code truster} no longer trusts {@code trusted}, as {@code pairctl remove} would have it. */
  static void untrust(Path truster, Path trusted) throws Exception {
    TrustStore.open(truster)
        .remove(
            Certificates.fingerprint(
                Certificates.parsePem(Files.readString(trusted.resolve("identity/cert.pem")))));
  }
}
