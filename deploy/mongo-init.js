// The replica set of docker-compose.yml, set up once by its mongo-init
// service (mongosh --nodb --file). Running it again changes nothing, so it
// runs on every `docker compose up`.
const secret = (name) => fs.readFileSync("/run/secrets/" + name, "utf8").trim();
const root = "root:" + encodeURIComponent(secret("mongo_root_password")) + "@";

// Only mongo1 has the root user before the set exists (the image creates it
// on an empty data directory); the others take it from mongo1 once they join.
db = connect("mongodb://" + root + "mongo1:27017/admin?directConnection=true");
try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized") throw e;
  rs.initiate({
    _id: "rs0",
    members: [
      { _id: 0, host: "mongo1:27017" },
      { _id: 1, host: "mongo2:27017" },
      { _id: 2, host: "mongo3:27017" },
    ],
  });
  print("replica set rs0 initiated");
}

// Canvass's own user, readWrite on its database only, with the name and
// password of the connection string Canvass reads: one place holds them.
const uri = secret("canvass_mongodb_uri");
const m = uri.match(/^mongodb:\/\/([^:@\/]+):([^@\/]+)@/);
if (!m) throw new Error("canvass_mongodb_uri: want mongodb://USER:PASSWORD@HOSTS/?replicaSet=rs0&authSource=admin...");
const user = decodeURIComponent(m[1]);
const pwd = decodeURIComponent(m[2]);
const roles = [{ role: "readWrite", db: process.env.CANVASS_DATABASE || "canvass" }];

// Through the set, so the write reaches whichever member is primary, once
// one is elected; majority, so it survives a failover.
db = connect("mongodb://" + root + "mongo1:27017,mongo2:27017,mongo3:27017/admin?replicaSet=rs0&serverSelectionTimeoutMS=120000");
const wc = { w: "majority", wtimeout: 60000 };
if (db.getUser(user)) {
  db.updateUser(user, { pwd, roles }, wc);
  print("user " + user + " updated");
} else {
  db.createUser({ user, pwd, roles }, wc);
  print("user " + user + " created");
}
