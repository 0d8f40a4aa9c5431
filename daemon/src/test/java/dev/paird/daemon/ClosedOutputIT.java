package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ControlProtocol.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * pairctl writing into a pipe whose reader has gone ({@code pairctl list-trusted | head -1}), with
 * two real pairds: a list ends silently with 141; a new key is no longer pending; a pair and a
 * remove are done, and stderr names the peer by its whole fingerprint.
 */
final class ClosedOutputIT {
  @TempDir Path tmp;

  @RegisterExtension final StartedPairds started = new StartedPairds();

  @Test
  void readerGone_newKeyIsCancelled_pairAndRemoveAreDoneAndSaid() throws Exception {
    Pairctl a = start("a");
    Pairctl b = start("b");
    String address = a.look(Command.STATUS).path("listen").textValue();
    String fingerprint = a.look(Command.STATUS).path("fingerprint").textValue();

    Pairctl.Result newKey = a.runIntoClosedPipe("new-key");
    String pending = a.look(Command.LIST_KEYS).path("keys").toString();
    String key = a.json("new-key").path("key").textValue();
    Pairctl.Result pair = b.runIntoClosedPipe("pair", address, key);
    String trusted = b.look(Command.LIST_TRUSTED).path("peers").toString();
    Pairctl.Result list = b.runIntoClosedPipe("list-trusted");
    Pairctl.Result remove = b.runIntoClosedPipe("--json", "remove", fingerprint);

    assertThat(newKey.status()).as(newKey.err()).isEqualTo(141);
    assertThat(newKey.err()).contains("pairctl has cancelled it");
    assertThat(pending).isEqualTo("[]");
    assertThat(pair.status()).as(pair.err()).isEqualTo(141);
    assertThat(pair.err()).contains("done all the same: paired with ", fingerprint);
    assertThat(trusted).contains(fingerprint);
    assertThat(list.status()).as(list.err()).isEqualTo(141);
    assertThat(list.err()).isEmpty();
    assertThat(remove.status()).as(remove.err()).isEqualTo(141);
    assertThat(remove.err())
        .contains("done all the same: this device no longer trusts ", fingerprint);
    assertThat(b.look(Command.LIST_TRUSTED).path("peers")).isEmpty();
  }

  /** Starts a paird in {@code tmp/NAME} and returns the pairctl that drives it. */
  private Pairctl start(String name) throws Exception {
    PairdProcess.Options options = PairdProcess.in(Files.createDirectory(tmp.resolve(name)));
    started.add(options.start());
    return options.pairctl();
  }
}
