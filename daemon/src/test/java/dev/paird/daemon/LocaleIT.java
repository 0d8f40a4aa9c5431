package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * paird and pairctl in locales whose digits are not ASCII (Arabic, Persian, Thai), whose case
 * mapping differs (Turkish: "i" upper-cases to "İ"), or neither (Hindi, German's control): key ids,
 * keys, times, fingerprints and the log stay ASCII (but for the ellipsis that cuts a fingerprint),
 * an id pairctl shows is one pairctl and paird take back, and two devices pair. Real processes; the
 * JVM's locale is what the JAVA_OPTS of their launch scripts set, as a system's LANG would.
 */
final class LocaleIT {
  /** Beyond ASCII, only the ellipsis pairctl cuts long fields with, in a UTF-8 output. */
  private static final Pattern NOT_ASCII = Pattern.compile("[^\\x00-\\x7f\u2026]");

  private static final Pattern ID = Pattern.compile("New hmac key, id ([0-9]+)\\.");

  @TempDir Path dir;
  @RegisterExtension final StartedPairds started = new StartedPairds();

  @ParameterizedTest
  @ValueSource(strings = {"ar-EG", "fa-IR", "th-TH-TH", "tr-TR", "hi-IN", "de-DE"})
  void inThisLocale_everythingShownIsAscii_andIdsRoundTrip_andDevicesPair(String tag)
      throws Exception {
    String javaOptions = javaOptions(tag);
    Device a = start("a", javaOptions);
    Device b = start("b", javaOptions);

    Result issued = a.pairctl("new-key", "--suite", "hmac");
    Matcher id = ID.matcher(issued.out());
    JsonNode spake2 = a.pairctl("--json", "new-key").json();
    Result keys = a.pairctl("list-keys");
    Result paired = b.pairctl("pair", a.address(), spake2.path("key").textValue());
    Result cancelled = a.pairctl("cancel-key", id.find() ? id.group(1) : "no id shown");
    Result trustedA = a.pairctl("list-trusted");
    Result statusB = b.pairctl("status");

    assertThat(issued.status()).as(issued.err()).isZero();
    assertThat(paired.status()).as(paired.err()).isZero();
    assertThat(cancelled.status()).as("cancel-key of the id shown: %s", cancelled.err()).isZero();
    assertThat(a.process.ctl().look(Command.STATUS).path("pending_keys").intValue()).isZero();
    assertThat(trustedA.out()).contains(b.fingerprint.substring(0, 16));
    for (Result shown : List.of(issued, keys, paired, cancelled, trustedA, statusB)) {
      assertThat(NOT_ASCII.matcher(shown.out() + shown.err()).find())
          .as("non-ASCII in pairctl's output:\n%s%s", shown.out(), shown.err())
          .isFalse();
    }
    assertThat(spake2.path("id").textValue()).matches("[0-9]{2}");
    assertThat(spake2.path("key").textValue()).matches("[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]");
    for (Device device : List.of(a, b)) {
      assertThat(NOT_ASCII.matcher(device.process.paird.log()).find())
          .as("non-ASCII in paird's log:\n%s", device.process.paird.log())
          .isFalse();
    }
  }

  /** -Duser.language, country and variant for {@code tag}: language-COUNTRY[-VARIANT]. */
  private static String javaOptions(String tag) {
    String[] parts = tag.split("-", -1);
    String options = "-Duser.language=" + parts[0] + " -Duser.country=" + parts[1];
    return parts.length > 2 ? options + " -Duser.variant=" + parts[2] : options;
  }

  private record Running(PairdProcess paird, PairdProcess.Options options) {
    Pairctl ctl() {
      return options.pairctl();
    }
  }

  private record Device(Running process, Path home, String fingerprint, String javaOptions) {
    String address() throws Exception {
      return process.ctl().look(Command.STATUS).path("listen").textValue();
    }

    Result pairctl(String... args) throws Exception {
      List<String> command =
          new ArrayList<>(
              List.of(
                  "env",
                  "PAIRCTL_JAVA_OPTS=" + javaOptions,
                  Pairctl.PAIRCTL.toString(),
                  "--socket",
                  process.options.socket().toString()));
      command.addAll(List.of(args));
      return Pairctl.run(home, command);
    }
  }

  private Device start(String name, String javaOptions) throws Exception {
    Path home = Files.createDirectories(dir.resolve(name));
    var identity = OpenSslCli.newSelfSigned(home, "device-" + name, KeyType.EC_P256);
    PairdProcess.Options options =
        PairdProcess.in(home)
            .identity(identity)
            .wrapper(List.of("env", "PAIRD_JAVA_OPTS=" + javaOptions));
    PairdProcess paird = options.start();
    started.add(paird);
    return new Device(
        new Running(paird, options), home, OpenSslCli.fingerprint(identity.cert()), javaOptions);
  }
}
