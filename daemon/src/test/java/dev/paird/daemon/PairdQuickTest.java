package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@link Paird#quick}: the same options as picocli for what it takes, and nothing else taken. */
final class PairdQuickTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "--config /etc/paird/other.conf",
        "--config=/etc/paird/other.conf --state-dir /var/lib/p --socket=/run/p.sock",
        "--listen 127.0.0.1:0 --cert c.pem --key=k.pem",
        "--listen=[::1]:7247 --state-dir=a=b"
      })
  void quick_wellFormed_sameAsPicocli(String line) {
    String[] args = words(line);

    Paird quick = Paird.quick(args);

    Paird picocli = new Paird();
    new CommandLine(picocli).parseArgs(args);
    assertThat(quick).isNotNull();
    assertThat(options(quick)).isEqualTo(options(picocli));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--help",
        "-h",
        "--version",
        "-V",
        "--config",
        "--config a --config b",
        "--config=",
        "--socket -x",
        "--state-dir @args",
        "--frobnicate 1",
        "stray",
        "--listen :1 stray",
        "-- --config a"
      })
  void quick_anythingElse_leftToPicocli(String line) {
    assertThat(Paird.quick(words(line))).isNull();
  }

  /** A name the JDK takes for no path: refused as configuration, in paird's words, either way. */
  @Test
  void configThatIsNoPath_isAConfigError_whicheverParserTookIt() {
    String[] args = {"--config", "a\0b"};
    Paird picocli = new Paird();
    new CommandLine(picocli).parseArgs(args);

    for (Paird paird : List.of(Paird.quick(args), picocli)) {
      assertThatThrownBy(paird::loadConfig)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_INVALID))
          .hasMessage(
              "--config: 'a\\x00b' is not a path this system can use; name the config file");
    }
  }

  private static String[] words(String line) {
    return line.isEmpty() ? new String[0] : line.split(" ");
  }

  private static List<Object> options(Paird paird) {
    return Arrays.asList(
        paird.configFile, paird.stateDir, paird.socket, paird.listen, paird.cert, paird.key);
  }
}
