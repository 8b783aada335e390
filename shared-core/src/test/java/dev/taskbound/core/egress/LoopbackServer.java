package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/** A TCP server on 127.0.0.1 that hands each accepted socket to a handler on its own thread. */
final class LoopbackServer implements AutoCloseable {
  interface Handler {
    void handle(Socket socket) throws IOException;
  }

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  LoopbackServer(Handler handler) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    threads.execute(
        () -> {
          while (!server.isClosed()) {
            try {
              Socket s = server.accept();
              execute(s, handler);
            } catch (IOException e) {
              return;
            }
          }
        });
  }

  private void execute(Socket s, Handler handler) throws IOException {
    try {
      threads.execute(
          () -> {
            try (s) {
              handler.handle(s);
            } catch (IOException e) {
              // the test sees the effect on the client side
            }
          });
    } catch (RejectedExecutionException e) {
      s.close(); // closing down
    }
  }

  int port() {
    return server.getLocalPort();
  }

  /** A port on 127.0.0.1 that nothing listens on (bound, then released). */
  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
