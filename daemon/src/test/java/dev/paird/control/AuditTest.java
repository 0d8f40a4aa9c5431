package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlRequest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class AuditTest {
  private static final String FINGERPRINT =
      "3dcd8ac3189c0a2dc5e6f5d01f44d2dfbbc2c3ebf78fba68aba8bd03d1ee0538";

  @Test
  void describe_pair_namesThePeerByItsWholeFingerprint() {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.putObject("peer").put("fingerprint", FINGERPRINT).put("suite", "spake2");

    String line =
        Audit.describe(new ControlRequest.Pair("10.77.0.1", Optional.of("kitchen")), result);

    assertThat(line).isEqualTo(" host=10.77.0.1 label=kitchen fingerprint=" + FINGERPRINT);
  }

  @Test
  void describe_remove_boundsTheFingerprintTheCallerSent() {
    String sent = "ab".repeat(40);

    String line = Audit.describe(new ControlRequest.Remove(sent), null);

    assertThat(line).isEqualTo(" prefix=" + sent.substring(0, 40) + "...");
  }
}
