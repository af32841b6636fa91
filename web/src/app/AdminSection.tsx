/** The admin views mounted under /admin in the Studio (a lazily loaded chunk). */
import { useRoutes } from "react-router";
import { adminRoutes } from "../admin";

export default function AdminSection() {
  return useRoutes(adminRoutes("/admin"));
}
