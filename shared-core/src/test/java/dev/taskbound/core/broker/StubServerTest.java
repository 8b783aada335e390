package dev.taskbound.core.broker;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A WireMock server on loopback, fresh for each test, and a sleeper that only records. */
public abstract class StubServerTest {
  protected WireMockServer server;
  protected RecordingSleeper sleeper;

  @BeforeEach
  void startStubServer() {
    server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    server.start();
    sleeper = new RecordingSleeper();
  }

  @AfterEach
  void stopStubServer() {
    server.stop();
  }
}
