// The engine and its contract. The SQL Server actuator has no dependencies; its TDS client
// (./tedious-client, which loads tedious) is imported directly by the hosts that need it.
export * from "./types";
export * from "./engine";
export * from "./sql-server";
