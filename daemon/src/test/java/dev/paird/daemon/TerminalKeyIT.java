package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "Typing the key": {@code pairctl pair HOST} asks for the key on the terminal without
 * echo. A person at a terminal, played by a Python program on a real pseudo-terminal (pty.fork),
 * waits for the prompt and types the key: nothing the terminal shows contains it, the devices pair,
 * and the terminal echoes again afterwards ({@code stty -a} run on the same terminal once pairctl
 * has exited). Both ways pairctl turns the echo off are taken: the JDK's Console, when standard
 * output is the terminal too, and stty(1), when it is redirected to a file.
 */
final class TerminalKeyIT {
  private static final Path TYPE_KEY =
      PairdProcess.REPO.resolve("daemon/src/test/resources/terminal/type-key.py");
  private static final String PROMPT = "Key shown on the other device: ";

  /** The local mode "echo" in stty -a's list, not "-echo" and not "echoe" or "echok". */
  private static final Pattern ECHO_ON = Pattern.compile("(?<![-\\w])echo(?!\\w)");

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private PairdProcess.Options a;
  private PairdProcess.Options b;
  @RegisterExtension final StartedPairds started = new StartedPairds();

  @BeforeEach
  void twoDevices() throws Exception {
    a = PairdProcess.in(dir.resolve("a")).settings("rate_limit_per_minute = 6000");
    b = PairdProcess.in(dir.resolve("b"));
    started.add(a.start());
    started.add(b.start());
  }

  @Test
  void keyTypedAtTheTerminal_isNotEchoed_andTheEchoIsBackAfterwards() throws Exception {
    String key = a.pairctl().json("new-key").path("key").textValue();

    JsonNode typed = typeKey(key, "-", "pair", address(a));

    assertTyped(typed, key);
    assertThat(typed.path("transcript").textValue()).contains("Paired with");
  }

  @Test
  void keyTypedAtTheTerminal_outputRedirected_isNotEchoed_andTheEchoIsBackAfterwards()
      throws Exception {
    String key = a.pairctl().json("new-key", "--suite", "hmac").path("key").textValue();
    Path answer = dir.resolve("answer.json");

    JsonNode typed = typeKey(key, answer.toString(), "--json", "pair", address(a));

    assertTyped(typed, key);
    assertThat(JSON.readTree(Files.readString(answer)).path("peer").path("fingerprint").isTextual())
        .as("the answer pairctl wrote to the file: %s", Files.readString(answer))
        .isTrue();
  }

  /** Ctrl-C at the prompt: pairctl stops (128 + SIGINT), and leaves the terminal echoing. */
  @Test
  void ctrlCAtThePrompt_stopsPairctl_andTheEchoIsBackAfterwards() throws Exception {
    a.pairctl().json("new-key");

    for (String stdout : List.of("-", dir.resolve("answer.json").toString())) {
      JsonNode typed = typeKey("\u0003", stdout, "pair", address(a));

      String transcript = typed.path("transcript").textValue();
      assertThat(typed.path("typed").booleanValue())
          .as("prompt; terminal:\n%s", transcript)
          .isTrue();
      assertThat(typed.path("status").intValue())
          .as("pairctl's exit; terminal:\n%s", transcript)
          .isEqualTo(130);
      assertThat(ECHO_ON.matcher(transcript.substring(transcript.lastIndexOf(PROMPT))).find())
          .as("the terminal echoes again after Ctrl-C; terminal:\n%s", transcript)
          .isTrue();
    }
    assertThat(a.pairctl().look(Command.LIST_TRUSTED).path("peers")).isEmpty();
  }

  private void assertTyped(JsonNode typed, String key) throws Exception {
    String transcript = typed.path("transcript").textValue();
    assertThat(typed.path("typed").booleanValue())
        .as("the prompt appeared; the terminal showed:\n%s", transcript)
        .isTrue();
    assertThat(typed.path("status").intValue())
        .as("pairctl's exit; terminal:\n%s", transcript)
        .isZero();
    assertThat(transcript).doesNotContain(key).doesNotContain(key.replace("-", ""));
    String modes = transcript.substring(transcript.lastIndexOf(PROMPT));
    assertThat(ECHO_ON.matcher(modes).find())
        .as("the terminal echoes again after pairctl; stty -a said:\n%s", modes)
        .isTrue();
    assertThat(a.pairctl().look(Command.LIST_TRUSTED).path("peers")).hasSize(1);
  }

  /** Runs {@code pairctl --socket B ARGS} on a new terminal and types {@code key} at its prompt. */
  private JsonNode typeKey(String key, String stdout, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of("/usr/bin/python3", TYPE_KEY.toString(), PROMPT, key, stdout, "--"));
    command.addAll(List.of(Pairctl.PAIRCTL.toString(), "--socket", b.socket().toString()));
    command.addAll(List.of(args));
    Result run = Pairctl.run(dir, command);
    assertThat(run.status()).as("the terminal program: %s", run.err()).isZero();
    return JSON.readTree(run.out());
  }

  private static String address(PairdProcess.Options device) throws Exception {
    return device.pairctl().look(Command.STATUS).path("listen").textValue();
  }
}
