package dev.paird.config;

import dev.paird.daemon.Paird;
import java.time.Duration;
import java.util.Arrays;

/**
 * paird with a lower key-lifetime floor ({@link PairdConfig#keyLifetimeFloor}), for the one
 * end-to-end test that waits for a key to expire by the daemon's real clock. Arguments: the floor
 * in seconds, then paird's own.
 */
public final class KeyLifetimeFloorPaird {
  private KeyLifetimeFloorPaird() {}

  public static void main(String[] args) {
    PairdConfig.keyLifetimeFloor = Duration.ofSeconds(Long.parseLong(args[0]));
    Paird.main(Arrays.copyOfRange(args, 1, args.length));
  }
}
