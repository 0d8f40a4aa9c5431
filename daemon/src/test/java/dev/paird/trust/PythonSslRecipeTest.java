package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python {@code ssl} recipe of docs/INTEGRATION.md, run as written over loopback: a server that
 * requires client certificates from {@code trusted-certs/} and a client that checks the server
 * against {@code trusted.pem} and its host name, both with generated identities.
 */
final class PythonSslRecipeTest {
  /** One process: a server thread, then a client; prints "accepted" or "refused". */
  private static final String SCRIPT =
      String.join(
          "\n",
          "import socket, ssl, sys, threading",
          "server_state, client_state, host = sys.argv[1:4]",
          "server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
          "server.load_cert_chain(server_state + '/identity/cert.pem',"
              + " server_state + '/identity/key.pem')",
          "server.verify_mode = ssl.CERT_REQUIRED",
          "server.load_verify_locations(capath=server_state + '/trusted-certs')",
          "client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
          "client.load_cert_chain(client_state + '/identity/cert.pem',"
              + " client_state + '/identity/key.pem')",
          "client.load_verify_locations(cafile=client_state + '/trusted.pem')",
          "listener = socket.create_server(('127.0.0.1', 0))",
          "listener.settimeout(30)",
          "def serve():",
          "    connection, _ = listener.accept()",
          "    try:",
          "        with server.wrap_socket(connection, server_side=True) as tls:",
          "            tls.sendall(b'hello')",
          "    except (ssl.SSLError, OSError):",
          "        pass",
          "thread = threading.Thread(target=serve)",
          "thread.start()",
          "try:",
          "    with socket.create_connection(listener.getsockname(), timeout=30) as raw:",
          "        with client.wrap_socket(raw, server_hostname=host) as tls:",
          "            print('accepted' if tls.recv(5) == b'hello' else 'refused')",
          "except (ssl.SSLError, OSError) as e:",
          "    print('refused')",
          "thread.join(30)",
          "");

  @TempDir Path dir;

  @Test
  void pythonSsl_pairedDevices_acceptEachOther_andAnUnpairedOneIsRefused() throws Exception {
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);

    assertThat(python(a, b, "kitchen-pi")).as("B calls A by name").isEqualTo("accepted");
    assertThat(python(a, b, "kitchen-pi.local")).as("by its mDNS name").isEqualTo("accepted");
    assertThat(python(a, b, "other-host")).as("by a name A does not have").isEqualTo("refused");
    assertThat(python(a, stranger, "kitchen-pi"))
        .as("A does not trust the stranger")
        .isEqualTo("refused");
  }

  private String python(Path server, Path client, String host) throws Exception {
    Path script = dir.resolve("recipe.py");
    Files.writeString(script, SCRIPT);
    Processes.Result result =
        Processes.run("python3", script.toString(), server.toString(), client.toString(), host);
    assertThat(result.exitStatus()).as(result.output()).isZero();
    return result.output().strip();
  }
}
