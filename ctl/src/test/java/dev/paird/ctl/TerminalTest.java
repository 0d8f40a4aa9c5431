package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The escaping rule itself is PrintableTest's; here, what the output's charset adds to it. */
final class TerminalTest {
  private static final Terminal UTF8 = new Terminal(StandardCharsets.UTF_8);
  private static final Terminal ASCII = new Terminal(StandardCharsets.US_ASCII);

  @Test
  void safe_printableText_isUnchanged() {
    assertThat(UTF8.safe("CN=K\u00fcche-Pi, O=\u6771\u4eac \ud83d\ude00"))
        .isEqualTo("CN=K\u00fcche-Pi, O=\u6771\u4eac \ud83d\ude00");
  }

  @Test
  void safe_controlCharactersAndBackslash_areEscaped() {
    assertThat(UTF8.safe("\u001b[2J\\x1b\u202e")).isEqualTo("\\x1b[2J\\\\x1b\\u202e");
  }

  @Test
  void safe_whatTheCharsetCannotEncode_isEscaped() {
    assertThat(ASCII.safe("K\u00fcche \u6771")).isEqualTo("K\\xfcche \\u6771");
  }

  @Test
  void safe_null_isADash() {
    assertThat(UTF8.safe(null)).isEqualTo("-");
  }

  @Test
  void ellipsis_fallsBackToDotsWhereItCannotBeShown() {
    assertThat(UTF8.ellipsis()).isEqualTo("\u2026");
    assertThat(ASCII.ellipsis()).isEqualTo("...");
  }
}
