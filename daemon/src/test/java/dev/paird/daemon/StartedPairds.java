package dev.paird.daemon;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The pairds a test started, each stopped after the test (as systemd stops it), also when the test
 * failed: register with {@code @RegisterExtension final StartedPairds started = new
 * StartedPairds();} and pass each process through {@link #add}.
 */
final class StartedPairds implements AfterEachCallback {
  private final List<PairdProcess> started = new ArrayList<>();

  /** Stops {@code paird} after the test; returns it. */
  PairdProcess add(PairdProcess paird) {
    started.add(paird);
    return paird;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      for (PairdProcess paird : started) {
        paird.close();
      }
    } finally {
      started.clear();
    }
  }
}
